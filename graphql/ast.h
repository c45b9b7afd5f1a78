/* graphql/ast.h — the GraphQL executable document as plain structs.
 * Every node lives in the request arena and carries the byte offset of its first
 * token; line and column are computed only when an error is reported. Names and
 * string values are NUL-terminated copies (strings already unescaped). Lists are
 * singly linked through `next`, in document order. */
#ifndef GP_AST_H
#define GP_AST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gp_value gp_value_t;
typedef struct gp_type_ref gp_type_ref_t;
typedef struct gp_selection gp_selection_t;

typedef enum {
    GP_VALUE_VARIABLE, /* $name: `string` holds name */
    GP_VALUE_INT,      /* `string` holds the literal text, e.g. "-12" */
    GP_VALUE_FLOAT,    /* `string` holds the literal text, e.g. "1.5e3" */
    GP_VALUE_STRING,   /* `string` holds the unescaped value (block strings dedented) */
    GP_VALUE_BOOLEAN,  /* `boolean` */
    GP_VALUE_NULL,
    GP_VALUE_ENUM,     /* `string` holds the name */
    GP_VALUE_LIST,     /* `items` */
    GP_VALUE_OBJECT,   /* `fields` */
} gp_value_kind_t;

typedef struct gp_object_field {
    const char *name;
    gp_value_t *value;
    long offset;
    struct gp_object_field *next;
} gp_object_field_t;

struct gp_value {
    gp_value_kind_t kind;
    long offset;
    const char *string;
    size_t length;      /* of `string`, which may contain NUL from \u0000 */
    bool boolean;
    gp_value_t *items;  /* GP_VALUE_LIST: first item, linked by next */
    gp_object_field_t *fields;
    gp_value_t *next;   /* next item in a list */
};

typedef struct gp_argument {
    const char *name;
    gp_value_t *value;
    long offset;
    struct gp_argument *next;
} gp_argument_t;

typedef struct gp_directive {
    const char *name;
    gp_argument_t *arguments;
    long offset;
    struct gp_directive *next;
} gp_directive_t;

typedef enum { GP_TYPE_NAMED, GP_TYPE_LIST, GP_TYPE_NON_NULL } gp_type_ref_kind_t;

struct gp_type_ref {
    gp_type_ref_kind_t kind;
    const char *name;       /* GP_TYPE_NAMED */
    gp_type_ref_t *of_type; /* GP_TYPE_LIST, GP_TYPE_NON_NULL */
    long offset;
};

typedef enum { GP_SEL_FIELD, GP_SEL_FRAGMENT_SPREAD, GP_SEL_INLINE_FRAGMENT } gp_selection_kind_t;

struct gp_selection {
    gp_selection_kind_t kind;
    long offset;
    const char *alias;              /* GP_SEL_FIELD: NULL when absent */
    const char *name;               /* GP_SEL_FIELD: field name; GP_SEL_FRAGMENT_SPREAD: fragment name */
    const char *type_condition;     /* GP_SEL_INLINE_FRAGMENT: NULL when absent */
    gp_argument_t *arguments;       /* GP_SEL_FIELD */
    gp_directive_t *directives;
    gp_selection_t *selections;     /* GP_SEL_FIELD (NULL for a leaf) and GP_SEL_INLINE_FRAGMENT */
    gp_selection_t *next;
};

typedef struct gp_variable_def {
    const char *name;               /* without the $ */
    gp_type_ref_t *type;
    gp_value_t *default_value;      /* NULL when absent */
    gp_directive_t *directives;
    long offset;
    struct gp_variable_def *next;
} gp_variable_def_t;

typedef enum { GP_OP_QUERY, GP_OP_MUTATION, GP_OP_SUBSCRIPTION } gp_operation_kind_t;

typedef struct gp_operation {
    gp_operation_kind_t kind;
    const char *name;               /* NULL for an anonymous operation */
    gp_variable_def_t *variables;
    gp_directive_t *directives;
    gp_selection_t *selections;
    long offset;
    struct gp_operation *next;
} gp_operation_t;

typedef struct gp_fragment {
    const char *name;
    const char *type_condition;
    gp_directive_t *directives;
    gp_selection_t *selections;
    long offset;
    struct gp_fragment *next;
} gp_fragment_t;

typedef struct gp_document {
    const char *source;             /* the text parsed, for error locations */
    gp_operation_t *operations;
    gp_fragment_t *fragments;
} gp_document_t;

#endif
