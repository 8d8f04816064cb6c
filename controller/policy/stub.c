/* SPDX-License-Identifier: Apache-2.0 */
/* Temporary: the API links while the implementation lands. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bw_policy.h"

struct bw_diags {
	struct bw_diag *v;
	size_t n;
};
int bw_diags_new(struct bw_diags **out)
{
	struct bw_diags *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}
void bw_diags_free(struct bw_diags *d)
{
	free(d);
}
size_t bw_diags_count(const struct bw_diags *d)
{
	return d ? d->n : 0;
}
const struct bw_diag *bw_diags_get(const struct bw_diags *d, size_t i)
{
	return NULL;
}
char *bw_diags_format(const struct bw_diags *d)
{
	return strdup("");
}
int bw_policy_parse(const char *buf, size_t len, const char *filename, struct bw_policy ***out,
		    size_t *n_out, struct bw_diags *diags)
{
	return -ENOSYS;
}
void bw_policy_free(struct bw_policy *p)
{
}
enum bw_policy_kind bw_policy_kind(const struct bw_policy *p)
{
	return BW_KIND_POLICY;
}
const char *bw_policy_kind_name(enum bw_policy_kind k)
{
	return "";
}
enum bw_policy_kind bw_policy_kind_parse(const char *s)
{
	return 0;
}
const char *bw_policy_name(const struct bw_policy *p)
{
	return "";
}
const char *bw_policy_namespace(const struct bw_policy *p)
{
	return "";
}
char *bw_policy_to_json(const struct bw_policy *p)
{
	return NULL;
}
int bw_inventory_new(struct bw_inventory **out)
{
	return -ENOSYS;
}
void bw_inventory_free(struct bw_inventory *inv)
{
}
int bw_inventory_set_node(struct bw_inventory *inv, const char *node, const char *labels)
{
	return -ENOSYS;
}
int bw_inventory_remove_node(struct bw_inventory *inv, const char *node)
{
	return -ENOSYS;
}
int bw_inventory_set_container(struct bw_inventory *inv, const char *node,
			       const Bulwark__V1__Container *c)
{
	return -ENOSYS;
}
int bw_inventory_remove_container(struct bw_inventory *inv, const char *container_id)
{
	return -ENOSYS;
}
int bw_inventory_set_posture(struct bw_inventory *inv, const char *ns, const char *file,
			     const char *network, const char *capabilities)
{
	return -ENOSYS;
}
int bw_inventory_load_yaml(struct bw_inventory *inv, const char *buf, size_t len,
			   const char *filename, struct bw_diags *diags)
{
	return -ENOSYS;
}
int bw_policy_set_new(struct bw_policy_set **out)
{
	return -ENOSYS;
}
void bw_policy_set_free(struct bw_policy_set *s)
{
}
int bw_policy_set_put(struct bw_policy_set *s, struct bw_policy *p)
{
	return -ENOSYS;
}
int bw_policy_set_remove(struct bw_policy_set *s, enum bw_policy_kind kind, const char *ns,
			 const char *name)
{
	return -ENOSYS;
}
size_t bw_policy_set_count(const struct bw_policy_set *s)
{
	return 0;
}
int bw_compile_node(const struct bw_policy_set *s, const struct bw_inventory *inv,
		    const char *node, uint64_t version, Bulwark__V1__CompiledPolicy **out)
{
	return -ENOSYS;
}
void bw_compiled_free(Bulwark__V1__CompiledPolicy *cp)
{
}
char *bw_compiled_to_json(const Bulwark__V1__CompiledPolicy *cp)
{
	return NULL;
}
