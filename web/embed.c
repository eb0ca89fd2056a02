/* embed.c — build-time tool: turns files (the web assets, the demo scenarios) into a C
 * source file so the binary needs no files at run time.
 * Usage: embed OUT.c ARRAY NAME=FILE [NAME=FILE …] → const struct asset ARRAY[]
 * Every /static/ file also gets a content-hashed name (/static/app.0123456789abcdef.css)
 * that can be cached for good; in the HTML files, each "/static/NAME" of an embedded file
 * is replaced by its hashed name, so a page always asks for the bytes built with it.
 * An HTML file's `<style data-inline="/static/NAME"></style>` becomes `<style>` + that
 * embedded file's bytes + `</style>` (one per page), and the page's asset carries the
 * Content-Security-Policy source that allows exactly those bytes, 'sha256-<base64>'
 * (struct asset's style_src; the server adds it to the page's style-src, http.c), so the
 * page's first screen is styled without waiting for a style sheet and without
 * 'unsafe-inline'. A file inlined this way must not contain "/static/ (it would be
 * rewritten after hashing) or </style. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct file {
	char *name, *path; /* name: the URL (or scenario name) */
	unsigned char *data;
	size_t len;
	char hashed[300]; /* "" when not under /static/ */
	char style_src[64]; /* "'sha256-…'" of the inlined style sheet; "" when none */
};

static const char *mime_of(const char *file)
{
	const char *dot = strrchr(file, '.');
	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html"))
		return "text/html; charset=utf-8";
	if (!strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	if (!strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	if (!strcmp(dot, ".svg"))
		return "image/svg+xml";
	if (!strcmp(dot, ".png"))
		return "image/png";
	if (!strcmp(dot, ".ico"))
		return "image/x-icon";
	if (!strcmp(dot, ".wprp"))
		return "application/xml; charset=utf-8";
	if (!strcmp(dot, ".ps1"))
		return "text/plain; charset=utf-8";
	if (!strcmp(dot, ".json"))
		return "application/json; charset=utf-8";
	return "application/octet-stream";
}

static int slurp(struct file *f)
{
	FILE *in = fopen(f->path, "rb");
	long n;
	if (!in || fseek(in, 0, SEEK_END) != 0 || (n = ftell(in)) < 0 || fseek(in, 0, SEEK_SET) != 0 ||
	    !(f->data = malloc((size_t)n + 1)) || fread(f->data, 1, (size_t)n, in) != (size_t)n) {
		perror(f->path);
		if (in)
			fclose(in);
		return -1;
	}
	f->len = (size_t)n;
	fclose(in);
	return 0;
}

/* /static/a/b.js → /static/a/b.<16 hex of FNV-1a 64 of the bytes>.js */
static void hash_name(struct file *f)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *slash = strrchr(f->name, '/'), *dot = strrchr(f->name, '.');
	if (strncmp(f->name, "/static/", 8) != 0 || strlen(f->name) > 200)
		return;
	for (size_t i = 0; i < f->len; i++)
		h = (h ^ f->data[i]) * 0x100000001b3ULL;
	if (!dot || dot < slash)
		dot = f->name + strlen(f->name);
	snprintf(f->hashed, sizeof f->hashed, "%.*s.%016llx%s", (int)(dot - f->name), f->name,
		 (unsigned long long)h, dot);
}

static void emit_byte(FILE *out, size_t *n, int c)
{
	fprintf(out, "%s%d,", (*n)++ % 32 ? "" : "\n", c);
}

/* The bytes of f, with each "/static/NAME" of an embedded file hashed when f is HTML. */
static void emit_data(FILE *out, const struct file *f, const struct file *all, int nall)
{
	const char *dot = strrchr(f->path, '.');
	int html = dot && strcmp(dot, ".html") == 0;
	size_t n = 0;
	for (size_t i = 0; i < f->len; i++) {
		const struct file *hit = NULL;
		if (html && f->data[i] == '"')
			for (int k = 0; k < nall && !hit; k++) {
				size_t l = strlen(all[k].name);
				if (all[k].hashed[0] && i + 1 + l < f->len &&
				    memcmp(f->data + i + 1, all[k].name, l) == 0 && f->data[i + 1 + l] == '"')
					hit = &all[k];
			}
		if (!hit) {
			emit_byte(out, &n, f->data[i]);
			continue;
		}
		emit_byte(out, &n, '"');
		for (const char *p = hit->hashed; *p; p++)
			emit_byte(out, &n, (unsigned char)*p);
		i += strlen(hit->name); /* the closing quote is copied next */
	}
	fprintf(out, "0};\n");
}

/* Replaces f's inline-style marker (an HTML file's only one) by the named embedded file's
 * bytes and sets f->style_src; 0, or -1 (said on stderr) when the marker names no embedded
 * file, there are two, the style sheet could not be inlined as it is, or no memory. */
static int inline_style(struct file *f, const struct file *all, int nall)
{
	static const char open[] = "<style data-inline=\"", close[] = "\"></style>";
	const char *dot = strrchr(f->path, '.');
	if (!dot || strcmp(dot, ".html") != 0)
		return 0;
	unsigned char *at = memmem(f->data, f->len, open, sizeof open - 1);
	if (!at)
		return 0;
	const unsigned char *name = at + sizeof open - 1;
	const unsigned char *end = memmem(name, f->len - (size_t)(name - f->data), close,
					  sizeof close - 1);
	const struct file *css = NULL;
	for (int k = 0; k < nall && end && !css; k++)
		if (strlen(all[k].name) == (size_t)(end - name) &&
		    memcmp(all[k].name, name, (size_t)(end - name)) == 0)
			css = &all[k];
	if (!css) {
		fprintf(stderr, "embed: %s: an inline style names no embedded file\n", f->path);
		return -1;
	}
	const unsigned char *rest = end + sizeof close - 1;
	size_t nrest = f->len - (size_t)(rest - f->data);
	if (memmem(rest, nrest, open, sizeof open - 1) ||
	    memmem(css->data, css->len, "\"/static/", 9) || memmem(css->data, css->len, "</style", 7)) {
		fprintf(stderr, "embed: %s: more than one inline style, or %s cannot be inlined\n",
			f->path, css->name);
		return -1;
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char b64[4 * ((32 + 2) / 3) + 1]; /* 32 bytes of SHA-256 in base64 */
	if (EVP_Digest(css->data, css->len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		fprintf(stderr, "embed: %s: SHA-256 failed\n", css->name);
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	snprintf(f->style_src, sizeof f->style_src, "'sha256-%s'", b64);
	size_t head = (size_t)(at - f->data), len = head + 7 + css->len + 8 + nrest;
	unsigned char *data = malloc(len + 1);
	if (!data)
		return -1;
	memcpy(data, f->data, head);
	memcpy(data + head, "<style>", 7);
	memcpy(data + head + 7, css->data, css->len);
	memcpy(data + head + 7 + css->len, "</style>", 8);
	memcpy(data + head + 7 + css->len + 8, rest, nrest);
	free(f->data);
	f->data = data;
	f->len = len;
	return 0;
}

int main(int argc, char **argv)
{
	FILE *out;
	int nf = argc - 3;
	struct file *files;
	if (argc < 3) {
		fprintf(stderr, "usage: embed OUT.c ARRAY NAME=FILE...\n");
		return 2;
	}
	files = calloc((size_t)(nf > 0 ? nf : 1), sizeof *files);
	if (!files)
		return 1;
	for (int i = 0; i < nf; i++) {
		char *eq = strchr(argv[i + 3], '=');
		if (!eq) {
			fprintf(stderr, "embed: bad argument %s\n", argv[i + 3]);
			return 2;
		}
		*eq = '\0';
		files[i].name = argv[i + 3];
		files[i].path = eq + 1;
		if (slurp(&files[i]) != 0)
			return 1;
		hash_name(&files[i]);
	}
	for (int i = 0; i < nf; i++) /* after every name is hashed: pages are not */
		if (inline_style(&files[i], files, nf) != 0)
			return 1;
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	fprintf(out, "/* Generated by web/embed.c from web/ — do not edit. */\n"
		     "#include <stddef.h>\n#include \"assets.h\"\n\n");
	for (int i = 0; i < nf; i++) {
		fprintf(out, "static const unsigned char a%d[] = {", i);
		emit_data(out, &files[i], files, nf);
	}
	fprintf(out, "\nconst struct asset %s[] = {\n", argv[2]);
	for (int i = 0; i < nf; i++) {
		fprintf(out, "\t{\"%s\", \"%s\", a%d, sizeof a%d - 1, ", files[i].name,
			mime_of(files[i].path), i, i);
		if (files[i].hashed[0])
			fprintf(out, "\"%s\", ", files[i].hashed);
		else
			fprintf(out, "NULL, ");
		if (files[i].style_src[0])
			fprintf(out, "\"%s\"},\n", files[i].style_src);
		else
			fprintf(out, "NULL},\n");
	}
	fprintf(out, "\t{NULL, NULL, NULL, 0, NULL, NULL}\n};\n");
	for (int i = 0; i < nf; i++)
		free(files[i].data);
	free(files);
	return fclose(out) == 0 ? 0 : 1;
}
