/*
 * Nodes prove who they are (docs/security.md, "Node credentials"): a
 * report or long poll for node N must carry N's credential, derived from
 * the site secret and N's name (common/nodecred.h). This module holds the
 * secret, checks requests against it, notes refusals for the node_auth
 * alarm, and serves an administrator the credential to install on a node.
 */
#ifndef CTL_NODEAUTH_H
#define CTL_NODEAUTH_H

#include <stdint.h>

#include "nodecred.h"

struct api_req;
struct config;

struct nodeauth {
	unsigned char secret[NODECRED_SECRET_LEN];
	char path[4096];  /* where it was read */
	int64_t refused;  /* requests refused since start */
	int64_t episodes; /* refusal episodes logged since start */
};

/* Reads the site secret from conf's [auth] node_secret_file, creating it
 * (32 random bytes as hex, mode 0600) when missing. NULL (logged, with
 * the file and why) when it cannot, or when the file is readable by the
 * group or others or does not hold 64 hex digits. Caller frees with
 * nodeauth_free(). */
struct nodeauth *nodeauth_open(const struct config *conf);
void nodeauth_free(struct nodeauth *na);
/*
 * 0 when the request r carries `Authorization: Bearer CRED` with node's
 * credential. Else -1 after replying 401 (no credential) or 403 (another
 * one), the refusal counted, logged once per episode and, for a node of
 * the fabric, fed to its node_auth alarm. Needs r->st->nodeauth.
 */
int nodeauth_check(struct api_req *r, const char *node);
/* GET /nodes/{name}/credential: {"node":NAME,"credential":HEX}. */
void api_node_credential(struct api_req *r);

#endif
