/* surplus_cli — surplus_compute on the command line, for surplus_reference.py's property
 * test: reads one case a line on stdin, a JSON object
 *   {"net", "non_patronage", "reserve_balance", "reserve_n", "reserve_d", "cash_n",
 *    "cash_d", "loss_policy": "allocate" | "reserve_first",
 *    "members": [{"person", "patronage", "former"}]}
 * and writes one line for each on stdout: the allocation
 *   {"net", "non_patronage", "patronage_surplus", "reserve",
 *    "members": [{"person", "patronage", "allocation", "cash", "retained", "former"}]}
 * or {"error": "invalid"} when surplus_compute refuses the case. A person is copied as
 * surplus_compute would see it in its 37 bytes: a longer string fills them without a NUL,
 * which surplus_compute refuses. Exits 0 at the end of input, 2 on a line that is not such
 * an object (a fault of the test, not of the code under test). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "coop/surplus.h"

static void
die(const char *what)
{
	fprintf(stderr, "surplus_cli: %s\n", what);
	exit(2);
}

static int64_t
int_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		die("a case lacks an integer member");
	return json_object_get_int64(v);
}

static void
member_of(struct json_object *o, struct surplus_member *m)
{
	struct json_object *person, *former;
	size_t len;

	memset(m, 0, sizeof(*m));
	if (!json_object_object_get_ex(o, "person", &person) ||
	    !json_object_is_type(person, json_type_string) ||
	    !json_object_object_get_ex(o, "former", &former) ||
	    !json_object_is_type(former, json_type_boolean))
		die("a member lacks its person or former");
	len = (size_t)json_object_get_string_len(person);
	memcpy(m->person, json_object_get_string(person),
	       len < sizeof(m->person) ? len : sizeof(m->person));
	m->patronage = int_of(o, "patronage");
	m->former = json_object_get_boolean(former);
}

/* Reads case c into *in, members into a heap array the caller frees. */
static void
case_of(struct json_object *c, struct surplus_in *in)
{
	struct json_object *policy, *members;

	memset(in, 0, sizeof(*in));
	in->net = int_of(c, "net");
	in->non_patronage = int_of(c, "non_patronage");
	in->reserve_balance = int_of(c, "reserve_balance");
	in->reserve_n = int_of(c, "reserve_n");
	in->reserve_d = int_of(c, "reserve_d");
	in->cash_n = int_of(c, "cash_n");
	in->cash_d = int_of(c, "cash_d");
	if (!json_object_object_get_ex(c, "loss_policy", &policy) ||
	    !json_object_is_type(policy, json_type_string))
		die("a case lacks its loss_policy");
	if (surplus_loss_policy_parse(json_object_get_string(policy), &in->loss_policy) != 0)
		in->loss_policy = (enum surplus_loss_policy)99; /* for surplus_compute to refuse */
	if (!json_object_object_get_ex(c, "members", &members) ||
	    !json_object_is_type(members, json_type_array))
		die("a case lacks its members");
	in->n = json_object_array_length(members);
	if (in->n > 0 && (in->members = calloc(in->n, sizeof(*in->members))) == NULL)
		die("out of memory");
	for (size_t i = 0; i < in->n; i++)
		member_of(json_object_array_get_idx(members, i), &in->members[i]);
}

static void
print_out(const struct surplus_in *in, const struct surplus_out *out)
{
	printf("{\"net\": %" PRId64 ", \"non_patronage\": %" PRId64
	       ", \"patronage_surplus\": %" PRId64 ", \"reserve\": %" PRId64 ", \"members\": [",
	       out->net, out->non_patronage, out->patronage_surplus, out->reserve);
	for (size_t i = 0; i < in->n; i++) {
		const struct surplus_member *m = &in->members[i];

		printf("%s{\"person\": \"%s\", \"patronage\": %" PRId64 ", \"allocation\": %" PRId64
		       ", \"cash\": %" PRId64 ", \"retained\": %" PRId64 ", \"former\": %s}",
		       i == 0 ? "" : ", ", m->person, m->patronage, m->allocation, m->cash,
		       m->retained, m->former ? "true" : "false");
	}
	printf("]}\n");
}

int
main(void)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, stdin) > 0) {
		struct json_object *c = json_tokener_parse(line);
		struct surplus_in in;
		struct surplus_out out;

		if (c == NULL || !json_object_is_type(c, json_type_object))
			die("a line is not a JSON object");
		case_of(c, &in);
		if (surplus_compute(&in, &out) == 0)
			print_out(&in, &out);
		else
			printf("{\"error\": \"invalid\"}\n");
		free(in.members);
		json_object_put(c);
	}
	free(line);
	return fflush(stdout) == 0 ? 0 : 1;
}
