/*
 * The REST server's TLS context. OpenSSL's defaults in 3.0 are reasonable,
 * so this module mostly narrows them: no protocol older than TLS 1.2, only
 * ECDHE key exchange with AEAD ciphers for TLS 1.2 (TLS 1.3 suites are all
 * fine as they are), no renegotiation (a client could use it to make the
 * server work), and small buffers released between reads, as thousands of
 * agents may hold a connection each. A context is built whole from the
 * files and only then used, so a bad certificate on reload leaves the
 * running one in place.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "tls.h"

#define TLS12_CIPHERS                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* Logs "what file: OpenSSL's reason" (the first in its queue, the most
 * specific: "no start line" before "PEM lib") and empties the queue. */
static void
ssl_warn(const char *fn, const char *what, const char *file)
{
	char why[256] = "unknown error";
	unsigned long e, first = 0;

	while ((e = ERR_get_error()) != 0)
		if (first == 0)
			first = e;
	if (first != 0)
		ERR_error_string_n(first, why, sizeof(why));
	log_warnx("%s: %s %s: %s", fn, what, file, why);
}

SSL_CTX *
tls_ctx_new(const char *cert, const char *key)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		ssl_warn(__func__, "cannot make a context for", cert);
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		ssl_warn(__func__, "cannot set the protocols for", cert);
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ssl_warn(__func__, "cannot load the certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ssl_warn(__func__, "cannot load the key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ssl_warn(
		    __func__, "the certificate does not match the key", key);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_ctx_reload(SSL_CTX **ctx, const char *cert, const char *key)
{
	SSL_CTX *n;

	if ((n = tls_ctx_new(cert, key)) == NULL)
		return -1;
	SSL_CTX_free(*ctx);
	*ctx = n;
	return 0;
}

void
tls_describe(SSL_CTX *ctx, char *buf, size_t len)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	BIGNUM *bn = NULL;
	char *serial = NULL, cn[256] = "?", expires[64] = "?";
	BIO *mem;
	int n;

	snprintf(buf, len, "no certificate");
	if (x == NULL)
		return;
	(void)X509_NAME_get_text_by_NID(
	    X509_get_subject_name(x), NID_commonName, cn, sizeof(cn));
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL)
		serial = BN_bn2hex(bn);
	if ((mem = BIO_new(BIO_s_mem())) != NULL) {
		if (ASN1_TIME_print(mem, X509_get0_notAfter(x)) == 1 &&
		    (n = BIO_read(mem, expires, sizeof(expires) - 1)) > 0)
			expires[n] = '\0';
		BIO_free(mem);
	}
	snprintf(buf, len, "CN %s, serial %s, expires %s", cn,
	    serial ? serial : "?", expires);
	OPENSSL_free(serial);
	BN_free(bn);
}
