/* db/pgerror.c — SQLSTATE lookups over the one table in pgerror.h. */
#include "db/pgerror.h"

#include <string.h>

typedef struct {
    const char *code;
    bool retryable;
    gp_error_kind_t kind;
    bool shown;
} pgerror_row_t;

static const pgerror_row_t rows[] = {
#define GP_X(code, retryable, kind, shown, why) {code, retryable, kind, shown},
    GP_PGERROR_TABLE(GP_X)
#undef GP_X
};

static const pgerror_row_t *lookup(const char *sqlstate)
{
    if (sqlstate == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        if (strncmp(sqlstate, rows[i].code, strlen(rows[i].code)) == 0)
            return &rows[i];
    return NULL;
}

bool gp_pgerror_retryable(const char *sqlstate)
{
    const pgerror_row_t *r = lookup(sqlstate);
    return r != NULL && r->retryable;
}

gp_error_kind_t gp_pgerror_kind(const char *sqlstate)
{
    const pgerror_row_t *r = lookup(sqlstate);
    return r != NULL ? r->kind : GP_E_DATABASE;
}

bool gp_pgerror_shown(const char *sqlstate)
{
    const pgerror_row_t *r = lookup(sqlstate);
    return r != NULL && r->shown;
}
