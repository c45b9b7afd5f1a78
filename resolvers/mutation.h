/* resolvers/mutation.h — a mutation operation → the statements that write (one per root
 * field, one per update of update_T_many, one per step of a nested insert) and the one
 * that reads back what they wrote. */
#ifndef GP_MUTATION_H
#define GP_MUTATION_H

#include "resolvers/compile.h"

/* Compiles mutation `op`: its writes, in document order, into *writes (n of them, in the
 * arena), and the statement answering `data` into c->sql. Returns 0, or -1 with an
 * error added. */
int gp_mutation_compile(gp_compile_t *c, const gp_operation_t *op, const gp_plan_write_t **writes, int *nwrites);

#endif
