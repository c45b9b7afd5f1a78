/* tests/unit/schema/fixture.h — load a saved catalog answer (fixtures/<db>.json) into a
 * model. Tests run from the repository root, so paths are relative to it. */
#ifndef GP_TEST_SCHEMA_FIXTURE_H
#define GP_TEST_SCHEMA_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "schema/catalog.h"

static char *fixture_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static gp_model_t *fixture_model(const char *db)
{
    char path[256], err[256] = "";
    snprintf(path, sizeof path, "tests/unit/schema/fixtures/%s.json", db);
    size_t len;
    char *json = fixture_read(path, &len);
    const char *schemas[] = {"public"};
    gp_model_t *m = gp_model_load(json, len, schemas, 1, err, sizeof err);
    free(json);
    if (m == NULL) {
        fprintf(stderr, "%s: %s\n", path, err);
        exit(2);
    }
    return m;
}

#endif
