/*
 * Node credentials in the controller (see nodeauth.h). Credentials are
 * derived, not stored: the controller keeps only the site secret, and each
 * node's credential is computed the first time the node is heard and kept
 * in its struct node, so the hot path (every agent reports every second)
 * is one header lookup and one constant-time compare.
 *
 * Refused requests are kept per node as episodes, as core/holder.h does
 * for duplicate agents: refusals less than HOLDER_EPISODE_MS apart are one
 * episode, logged once when it opens, and the alarm rule node_auth raises
 * while the last refusal is that recent.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>
#include <openssl/crypto.h>

#include "apireq.h"
#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "holder.h"
#include "log.h"
#include "nodeauth.h"
#include "timeutil.h"

/* Writes a new secret to path, which must not exist. 0 or -1 (logged). */
static int
create_secret(const char *path)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[NODECRED_SECRET_LEN];
	char text[NODECRED_HEX_LEN + 2];
	size_t got = 0;
	ssize_t n;
	int fd, i;

	while (got < sizeof(b)) {
		if ((n = getrandom(b + got, sizeof(b) - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: getrandom", __func__);
			return -1;
		}
		got += (size_t)n;
	}
	for (i = 0; i < NODECRED_SECRET_LEN; i++) {
		text[2 * i] = hex[b[i] >> 4];
		text[2 * i + 1] = hex[b[i] & 15];
	}
	text[NODECRED_HEX_LEN] = '\n';
	text[NODECRED_HEX_LEN + 1] = '\0';
	memset(b, 0, sizeof(b));
	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 && errno == EEXIST)
		return 0; /* made meanwhile (an installer, a test): read it */
	if (fd == -1) {
		log_warn("cannot create the site secret %s "
		         "([auth] node_secret_file)",
		    path);
		return -1;
	}
	if (write(fd, text, NODECRED_HEX_LEN + 1) != NODECRED_HEX_LEN + 1 ||
	    fsync(fd) == -1) {
		log_warn("%s: write %s", __func__, path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	log_info("created the site secret %s: node credentials derive from "
	         "it (docs/security.md)",
	    path);
	return 0;
}

struct nodeauth *
nodeauth_open(const struct config *conf)
{
	struct nodeauth *na;
	char hex[NODECRED_BUF], err[4096 + 256];
	struct stat sb;

	if ((na = calloc(1, sizeof(*na))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	snprintf(na->path, sizeof(na->path), "%s", conf->node_secret_file);
	if (lstat(na->path, &sb) == -1 && errno == ENOENT &&
	    create_secret(na->path) == -1)
		goto fail;
	if (nodecred_read_file(na->path, 1, hex, err, sizeof(err)) == -1 ||
	    nodecred_parse_secret(hex, na->secret) == -1) {
		log_warnx(
		    "site secret ([auth] node_secret_file) refused: %s", err);
		goto fail;
	}
	memset(hex, 0, sizeof(hex));
	return na;
fail:
	nodeauth_free(na);
	return NULL;
}

void
nodeauth_free(struct nodeauth *na)
{
	if (na == NULL)
		return;
	OPENSSL_cleanse(na->secret, sizeof(na->secret));
	free(na);
}

/* The credential of `name` into out: n's cached one when n is not NULL. */
static int
credential_of(struct nodeauth *na, struct node *n, const char *name,
    char out[NODECRED_BUF])
{
	if (n != NULL && n->credential[0] != '\0') {
		memcpy(out, n->credential, NODECRED_BUF);
		return 0;
	}
	if (nodecred_derive(na->secret, name, out) == -1) {
		log_warnx("%s: %s: HMAC failed", __func__, name);
		return -1;
	}
	if (n != NULL)
		memcpy(n->credential, out, NODECRED_BUF);
	return 0;
}

/* Notes a refused request for n from addr: the alarm's input, and one log
 * line when it opens an episode. */
static void
note_refused(struct nodeauth *na, struct node *n, const char *name,
    const char *addr, const char *what)
{
	int64_t now = time_wall_ms();

	na->refused++;
	if (n == NULL) {
		/* not in the fabric: api_agents.c logs unknown names */
		return;
	}
	if (n->auth_refused_ms == 0 ||
	    now - n->auth_refused_ms >= HOLDER_EPISODE_MS ||
	    strcmp(n->auth_from, addr) != 0) {
		na->episodes++;
		n->auth_since_ms = now;
		n->auth_refusals = 0;
		log_warnx("node %s: reports from %s refused: %s (the agent "
		          "needs this node's credential in [agent] "
		          "credential_file; docs/security.md)",
		    name, addr, what);
	}
	n->auth_refusals++;
	n->auth_refused_ms = now;
	snprintf(n->auth_from, sizeof(n->auth_from), "%s", addr);
}

int
nodeauth_check(struct api_req *r, const char *node)
{
	struct nodeauth *na = r->st->nodeauth;
	struct node *n = fleet_node(r->st->fleet, node);
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	const char *cred = api_bearer(r->req), *addr = NULL;
	char want[NODECRED_BUF];
	ev_uint16_t port = 0;

	if (credential_of(na, n, node, want) == -1) {
		api_reply_error(r->req, 500, "internal",
		    "cannot derive the credential of %s", node);
		return -1;
	}
	if (cred != NULL && strlen(cred) == NODECRED_HEX_LEN &&
	    CRYPTO_memcmp(cred, want, NODECRED_HEX_LEN) == 0)
		return 0;
	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	if (addr == NULL)
		addr = "unknown";
	if (cred == NULL) {
		note_refused(na, n, node, addr, "no credential");
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "WWW-Authenticate", "Bearer");
		api_reply_error(r->req, 401, "unauthorized",
		    "reports for %s need its node credential "
		    "(Authorization: Bearer; [agent] credential_file)",
		    node);
		return -1;
	}
	note_refused(na, n, node, addr, "a credential that is not its own");
	api_reply_error(r->req, 403, "forbidden",
	    "the credential sent is not %s's (check [agent] credential_file "
	    "and the agent's name)",
	    node);
	return -1;
}

void
api_node_credential(struct api_req *r)
{
	struct node *n = fleet_node(r->st->fleet, r->args[0]);
	char cred[NODECRED_BUF];

	if (n == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
		return;
	}
	if (credential_of(r->st->nodeauth, n, n->name, cred) == -1) {
		api_reply_error(r->req, 500, "internal",
		    "cannot derive the credential of %s", n->name);
		return;
	}
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:s}", "node", n->name, "credential", cred));
}
