/*
 * What the controller serves beside /api/v1: the dashboard's files from
 * its web directory, and the Prometheus /metrics page. Called by
 * api_dispatch() in api.c.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "apireq.h"
#include "metrics.h"

/* ---- the dashboard's files ---- */

static const struct {
	const char *ext, *type;
} mime[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

/* Files of the dashboard read whole to be gzipped: up to this size. */
#define WEB_FILE_MAX (8 << 20)

/* Appends size bytes of fd to buf and closes fd; 0, or -1. */
static int
read_file(int fd, struct evbuffer *buf, size_t size)
{
	struct evbuffer_iovec v;
	size_t got = 0;
	ssize_t n;

	if (evbuffer_reserve_space(buf, size, &v, 1) != 1) {
		close(fd);
		return -1;
	}
	while (got < size &&
	       (n = read(fd, (char *)v.iov_base + got, size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != size)
		return -1;
	v.iov_len = size;
	return evbuffer_commit_space(buf, &v, 1);
}

void
api_serve_file(
    const char *web_dir, struct evhttp_request *req, const char *path)
{
	char file[8192];
	const char *type = "application/octet-stream", *dot;
	struct evbuffer *buf;
	struct stat sb;
	size_t i;
	int fd;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		api_reply_error(
		    req, 405, "method_not_allowed", "%s takes GET, HEAD", path);
		return;
	}
	if (web_dir[0] == '\0' || strstr(path, "..") != NULL ||
	    strchr(path, '%') != NULL) {
		api_reply_error(req, 404, "not_found", "no file '%s'", path);
		return;
	}
	snprintf(file, sizeof(file), "%s%s%s", web_dir, path,
	    path[strlen(path) - 1] == '/' ? "index.html" : "");
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		api_reply_error(req, 404, "not_found", "no file '%s'", path);
		return;
	}
	if ((dot = strrchr(file, '.')) != NULL)
		for (i = 0; i < sizeof(mime) / sizeof(mime[0]); i++)
			if (strcmp(dot, mime[i].ext) == 0)
				type = mime[i].type;
	buf = evbuffer_new();
	/* a file worth compressing is read into memory for deflate; else
	 * it goes as a file segment (sendfile) */
	if (buf != NULL && sb.st_size >= 1024 && sb.st_size <= WEB_FILE_MAX &&
	    api_accepts_gzip(req)) {
		if (read_file(fd, buf, (size_t)sb.st_size) == -1) {
			evbuffer_free(buf);
			api_reply_error(
			    req, 500, "internal", "cannot read '%s'", path);
			return;
		}
	} else if (buf == NULL ||
	           evbuffer_add_file(buf, fd, 0, sb.st_size) == -1) {
		if (buf != NULL)
			evbuffer_free(buf);
		else
			close(fd);
		api_reply_error(req, 500, "internal", "cannot read '%s'", path);
		return;
	}
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type", type);
	api_send(req, 200, buf);
	evbuffer_free(buf);
}

/* ---- Prometheus ---- */

void
api_serve_metrics(const struct metrics_view *v, struct evhttp_request *req)
{
	struct evbuffer *buf;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", "GET");
		api_reply_error(
		    req, 405, "method_not_allowed", "/metrics takes GET");
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	metrics_write(v, buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	api_send(req, 200, buf);
	evbuffer_free(buf);
}
