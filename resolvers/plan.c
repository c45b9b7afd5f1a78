/* resolvers/plan.c — placeholder until the compiler lands: answers only __typename. */
#include "resolvers/plan.h"

#include "resolvers/parse.h"

gp_plan_t *gp_plan_compile(gp_arena_t *a, const gp_model_t *m, const gp_document_t *doc,
                           const char *operation_name, const json_t *variables, gp_errors_t *errs)
{
    (void)m, (void)doc, (void)operation_name, (void)variables, (void)errs;
    gp_plan_t *plan = gp_arena_new_obj(a, gp_plan_t);
    plan->sql = "SELECT json_build_object('__typename', 'query_root')";
    return plan;
}

gp_plan_t *gp_plan_request(gp_arena_t *a, const gp_model_t *m, const char *query, size_t query_len,
                           const char *operation_name, const json_t *variables, gp_errors_t *errs)
{
    (void)query, (void)query_len;
    return gp_plan_compile(a, m, NULL, operation_name, variables, errs);
}
