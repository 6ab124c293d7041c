/*
 * DESIGN: the calling thread lists (ListObjectVersions pages of 1,000, or
 * ListObjectsV2 pages where versioning was never on;
 * sequential, because each page's markers come from the one before) and
 * turns every page into one DeleteObjects batch on a bounded queue;
 * `parallel` worker threads take batches off the queue and send them.
 * Deleting behind the listing's markers does not disturb the listing.
 * The queue holds at most 2 x parallel batches, so memory stays bounded
 * however large the bucket. The first failure stops everyone: the lister
 * stops listing, workers drop what is queued, the error travels back to
 * the calling thread (errors are per thread).
 *
 * Lock: emptier.mu protects head/tail/queued/inflight/closed/failed/err/
 * deleted; no request is sent while holding it. `room` is signalled when a
 * batch leaves the queue and when one is done.
 */
#include "cleaner/s3_empty.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws/base64.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"

#define MAX_WORKERS 32
/*
 * A round lists the bucket from its start, following markers, while its
 * pages are deleted behind it; rounds repeat until one lists nothing. On
 * AWS that is one round and one empty one. moto cannot follow a marker
 * whose version was deleted meanwhile (its listing then ends early), so
 * there a round may cover only what was listed before the deletes caught
 * up; the next round starts over. Rounds stop at the deadline, or after
 * this many, which only objects written as fast as we delete can reach.
 */
#define MAX_ROUNDS 10000

typedef struct batch {
	struct batch *next;
	tp_buf body;       /* <Delete> document */
	size_t count;
} batch;

typedef struct emptier {
	tp_aws_client *c;
	const char *region, *bucket;
	int64_t deadline_ms;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	batch *head, *tail;
	size_t queued, cap;
	int inflight;      /* batches taken and not yet done */
	int closed, failed;
	tp_error err;
	uint64_t deleted;
	int versioned;     /* list versions (else keys: see has_versions) */
} emptier;

static void batch_free(batch *b)
{
	if (!b)
		return;
	tp_buf_release(&b->body);
	free(b);
}

static void xml_escape(tp_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': tp_buf_adds(out, "&amp;"); break;
		case '<': tp_buf_adds(out, "&lt;"); break;
		case '>': tp_buf_adds(out, "&gt;"); break;
		case '"': tp_buf_adds(out, "&quot;"); break;
		case '\'': tp_buf_adds(out, "&apos;"); break;
		case '\r': tp_buf_adds(out, "&#13;"); break;
		case '\n': tp_buf_adds(out, "&#10;"); break;
		default: tp_buf_addc(out, *s);
		}
	}
}

/* ---- one DeleteObjects request ----------------------------------------- */

typedef struct refusals {
	size_t n;
	char first[1200];
} refusals;

static int note_refusal(void *ctx, xmlNodePtr e)
{
	refusals *f = ctx;
	char key[512], code[128], msg[512];

	tp_xml_text_buf(e, "Code", code, sizeof(code));
	/* Gone already (a concurrent delete): what we wanted. */
	if (strcmp(code, "NoSuchKey") == 0 || strcmp(code, "NoSuchVersion") == 0)
		return 0;
	if (f->n++ == 0) {
		tp_xml_text_buf(e, "Key", key, sizeof(key));
		tp_xml_text_buf(e, "Message", msg, sizeof(msg));
		snprintf(f->first, sizeof(f->first), "'%s' (%s: %s)", key, code, msg);
	}
	return 0;
}

static int send_batch(emptier *e, const batch *b)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	refusals f = { 0, "" };
	xmlDocPtr doc = NULL;
	char md5[25];
	tp_header h[1] = { { "Content-MD5", md5 } };
	tp_rest_request req;
	int rc;

	tp_base64_md5(md5, b->body.ptr, b->body.len);
	tp_params_add(&q, "delete", "");
	memset(&req, 0, sizeof(req));
	req.operation = "DeleteObjects";
	req.method = "POST";
	req.bucket = e->bucket;
	req.path = "/";
	req.query = &q;
	req.headers = h;
	req.nheaders = 1;
	req.body = b->body.ptr;
	req.body_len = b->body.len;
	req.content_type = "application/xml";
	rc = tp_aws_rest(e->c, &resp, "s3", e->region, &req);
	if (rc == 0 && resp.body.len &&
	    (rc = tp_xml_parse(&doc, resp.body.ptr, resp.body.len, "DeleteObjects")) == 0)
		tp_xml_foreach(tp_xml_root(doc), "Error", note_refusal, &f);
	if (rc == 0 && f.n)
		rc = tp_error_set(TP_EAWS, "bucket %s: %zu of %zu objects not deleted, first %s",
				  e->bucket, f.n, b->count, f.first);
	else if (rc < 0)
		tp_error_prefix("emptying bucket %s: ", e->bucket);
	xmlFreeDoc(doc);
	tp_params_release(&q);
	tp_http_response_release(&resp);
	return rc;
}

/* ---- the queue ---------------------------------------------------------- */

static void fail_locked(emptier *e)
{
	if (!e->failed) {
		e->failed = 1;
		tp_error_save(&e->err);
	}
	pthread_cond_broadcast(&e->more);
	pthread_cond_broadcast(&e->room);
}

/* Take the next batch; NULL when closed and drained, or after a failure. */
static batch *take(emptier *e)
{
	batch *b = NULL;

	pthread_mutex_lock(&e->mu);
	while (!e->head && !e->closed && !e->failed)
		pthread_cond_wait(&e->more, &e->mu);
	if (!e->failed && e->head) {
		b = e->head;
		e->head = b->next;
		if (!e->head)
			e->tail = NULL;
		e->queued--;
		e->inflight++;
		pthread_cond_broadcast(&e->room);
	}
	pthread_mutex_unlock(&e->mu);
	return b;
}

static void done_batch(emptier *e, const batch *b, int rc)
{
	pthread_mutex_lock(&e->mu);
	e->inflight--;
	if (rc < 0)
		fail_locked(e);
	else
		e->deleted += b->count;
	pthread_cond_broadcast(&e->room);
	pthread_mutex_unlock(&e->mu);
}

static void *worker(void *arg)
{
	emptier *e = arg;
	batch *b;

	while ((b = take(e)) != NULL) {
		int rc = e->deadline_ms && tp_now_ms() > e->deadline_ms
			? tp_error_set(TP_ETIMEOUT, "emptying bucket %s: deadline passed", e->bucket)
			: send_batch(e, b);

		done_batch(e, b, rc);
		batch_free(b);
	}
	return NULL;
}

/* Queue a batch (taking it); blocks while the queue is full. 1 after a worker failed. */
static int put(emptier *e, batch *b)
{
	int failed;

	pthread_mutex_lock(&e->mu);
	while (e->queued >= e->cap && !e->failed)
		pthread_cond_wait(&e->room, &e->mu);
	failed = e->failed;
	if (!failed) {
		if (e->tail)
			e->tail->next = b;
		else
			e->head = b;
		e->tail = b;
		e->queued++;
		pthread_cond_signal(&e->more);
	}
	pthread_mutex_unlock(&e->mu);
	if (failed)
		batch_free(b);
	return failed;
}

/* ---- listing ------------------------------------------------------------ */

typedef struct page_state {
	batch *b;
	char key_marker[1100], version_marker[256];  /* ListObjectVersions */
	char token[1100];                            /* ListObjectsV2 */
	int truncated;
} page_state;

static int add_entry(void *ctx, xmlNodePtr v)
{
	batch *b = ctx;
	char key[1100], version[256];

	tp_xml_text_buf(v, "Key", key, sizeof(key));
	tp_xml_text_buf(v, "VersionId", version, sizeof(version));
	tp_buf_adds(&b->body, "<Object><Key>");
	xml_escape(&b->body, key);
	tp_buf_adds(&b->body, "</Key>");
	/* "null" names the null version explicitly (unversioned or suspended
	 * buckets); without it a suspended bucket would get a delete marker. */
	if (version[0]) {
		tp_buf_adds(&b->body, "<VersionId>");
		xml_escape(&b->body, version);
		tp_buf_adds(&b->body, "</VersionId>");
	}
	tp_buf_adds(&b->body, "</Object>");
	b->count++;
	return 0;
}

/* The request for the next page: versions and markers, or plain keys (see has_versions). */
static void page_request(const emptier *e, const page_state *st, tp_params *q, tp_rest_request *req)
{
	tp_params_add(q, e->versioned ? "versions" : "list-type", e->versioned ? "" : "2");
	tp_params_add(q, "max-keys", "1000");
	if (e->versioned && st->key_marker[0])
		tp_params_add(q, "key-marker", st->key_marker);
	if (e->versioned && st->version_marker[0])
		tp_params_add(q, "version-id-marker", st->version_marker);
	if (!e->versioned && st->token[0])
		tp_params_add(q, "continuation-token", st->token);
	memset(req, 0, sizeof(*req));
	req->operation = e->versioned ? "ListObjectVersions" : "ListObjectsV2";
	req->method = "GET";
	req->bucket = e->bucket;
	req->path = "/";
	req->query = q;
}

/* One listing page into st->b (a new batch, NULL when the page is empty). */
static int list_page(emptier *e, page_state *st)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	char trunc[8];
	int rc;

	page_request(e, st, &q, &req);
	st->b = NULL;
	rc = tp_aws_rest(e->c, &resp, "s3", e->region, &req);
	if (rc == 0)
		rc = tp_xml_parse(&doc, resp.body.ptr, resp.body.len, req.operation);
	if (rc < 0)
		goto done;
	root = tp_xml_root(doc);
	st->b = tp_xcalloc(1, sizeof(*st->b));
	tp_buf_adds(&st->b->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>");
	tp_xml_foreach(root, e->versioned ? "Version" : "Contents", add_entry, st->b);
	tp_xml_foreach(root, "DeleteMarker", add_entry, st->b);
	tp_buf_adds(&st->b->body, "</Delete>");
	tp_xml_text_buf(root, "IsTruncated", trunc, sizeof(trunc));
	tp_xml_text_buf(root, "NextKeyMarker", st->key_marker, sizeof(st->key_marker));
	tp_xml_text_buf(root, "NextVersionIdMarker", st->version_marker, sizeof(st->version_marker));
	tp_xml_text_buf(root, "NextContinuationToken", st->token, sizeof(st->token));
	st->truncated = strcmp(trunc, "true") == 0 &&
			(e->versioned ? st->key_marker[0] : st->token[0]);
	if (st->b->count == 0) {
		batch_free(st->b);
		st->b = NULL;
	}
done:
	if (rc < 0 && rc != TP_ENOTFOUND)
		tp_error_prefix("listing bucket %s: ", e->bucket);
	xmlFreeDoc(doc);
	tp_params_release(&q);
	tp_http_response_release(&resp);
	return rc;
}

/*
 * Has versioning ever been on (GetBucketVersioning has a Status, Enabled
 * or Suspended)? A bucket where it never was holds only null versions, so
 * ListObjectsV2 and DeleteObjects by key empty it for good, and listing
 * keys is cheaper than listing versions (on moto, five times).
 * 1 / 0, or <0 (TP_ENOTFOUND for a missing bucket).
 */
static int has_versions(emptier *e)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	xmlDocPtr doc = NULL;
	char status[32] = "";
	int rc;

	tp_params_add(&q, "versioning", "");
	memset(&req, 0, sizeof(req));
	req.operation = "GetBucketVersioning";
	req.method = "GET";
	req.bucket = e->bucket;
	req.path = "/";
	req.query = &q;
	rc = tp_aws_rest(e->c, &resp, "s3", e->region, &req);
	if (rc == 0 && resp.body.len)
		rc = tp_xml_parse(&doc, resp.body.ptr, resp.body.len, "GetBucketVersioning");
	if (rc == 0)
		tp_xml_text_buf(tp_xml_root(doc), "Status", status, sizeof(status));
	else if (rc != TP_ENOTFOUND)
		tp_error_prefix("bucket %s: ", e->bucket);
	xmlFreeDoc(doc);
	tp_params_release(&q);
	tp_http_response_release(&resp);
	return rc < 0 ? rc : status[0] != '\0';
}

/*
 * One pass over the bucket; `listed` gets how many entries it found.
 * With workers, batches go to the queue; without, they are sent here.
 * Returns 0, <0 for its own failure, 1 when a worker failed.
 */
static int one_round(emptier *e, int threaded, uint64_t *listed)
{
	page_state st;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	*listed = 0;
	do {
		if (e->deadline_ms && tp_now_ms() > e->deadline_ms)
			return tp_error_set(TP_ETIMEOUT, "emptying bucket %s: deadline passed", e->bucket);
		if ((rc = list_page(e, &st)) < 0)
			return rc;
		if (!st.b)
			continue;
		*listed += st.b->count;
		if (threaded) {
			rc = put(e, st.b);   /* 1: a worker failed */
		} else {
			rc = send_batch(e, st.b);
			if (rc == 0)
				e->deleted += st.b->count;
			batch_free(st.b);
		}
		st.b = NULL;
	} while (rc == 0 && st.truncated);
	return rc;
}

/* Waits until every queued batch is done (or something failed). */
static void drain(emptier *e)
{
	pthread_mutex_lock(&e->mu);
	while ((e->head || e->inflight) && !e->failed)
		pthread_cond_wait(&e->room, &e->mu);
	pthread_mutex_unlock(&e->mu);
}

/* Runs rounds with `n` workers (0: none) until a listing is empty. */
static int run(emptier *e, int n)
{
	pthread_t tids[MAX_WORKERS];
	uint64_t listed = 1;
	int i, started = 0, rc = 0, round;

	for (i = 0; i < n; i++, started++)
		if (pthread_create(&tids[i], NULL, worker, e) != 0)
			break;
	if (n && !started)
		return tp_error_set(TP_ERROR, "emptying bucket %s: cannot start threads", e->bucket);
	for (round = 0; rc == 0 && listed && round < MAX_ROUNDS; round++) {
		rc = one_round(e, started > 0, &listed);
		if (started && rc == 0)
			drain(e);
	}
	pthread_mutex_lock(&e->mu);
	if (rc < 0)
		fail_locked(e);      /* our own failure: stop the workers, keep the first error */
	e->closed = 1;
	pthread_cond_broadcast(&e->more);
	pthread_mutex_unlock(&e->mu);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (e->failed) {
		tp_error_restore(&e->err);
		return e->err.code < 0 ? e->err.code : TP_ERROR;
	}
	return 0;
}

/* ---- multipart uploads -------------------------------------------------- */

static int abort_upload(void *ctx, xmlNodePtr u)
{
	emptier *e = ctx;
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	char key[1100], id[512];
	tp_buf path = TP_BUF_INIT;
	int rc;

	tp_xml_text_buf(u, "Key", key, sizeof(key));
	tp_xml_text_buf(u, "UploadId", id, sizeof(id));
	tp_buf_addc(&path, '/');
	tp_aws_uri_escape(&path, key, 1);
	tp_params_add(&q, "uploadId", id);
	memset(&req, 0, sizeof(req));
	req.operation = "AbortMultipartUpload";
	req.method = "DELETE";
	req.bucket = e->bucket;
	req.path = tp_buf_cstr(&path);
	req.query = &q;
	rc = tp_aws_rest(e->c, &resp, "s3", e->region, &req);
	if (rc == TP_ENOTFOUND)  /* NoSuchUpload: finished or aborted meanwhile */
		rc = 0;
	if (rc < 0)
		tp_error_prefix("bucket %s: aborting the upload of '%s': ", e->bucket, key);
	tp_http_response_release(&resp);
	tp_params_release(&q);
	tp_buf_release(&path);
	return rc;
}

/*
 * Unfinished multipart uploads keep storage (and billing) alive. Aborting
 * them all and listing again until none is left; each round's listing
 * starts over, since what it found is gone.
 */
static int abort_uploads(emptier *e)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	xmlDocPtr doc = NULL;
	int rc, round;
	char trunc[8] = "true";

	tp_params_add(&q, "uploads", "");
	memset(&req, 0, sizeof(req));
	req.operation = "ListMultipartUploads";
	req.method = "GET";
	req.bucket = e->bucket;
	req.path = "/";
	req.query = &q;
	for (round = 0, rc = 0; rc == 0 && strcmp(trunc, "true") == 0 && round < 100; round++) {
		rc = tp_aws_rest(e->c, &resp, "s3", e->region, &req);
		if (rc == 0)
			rc = tp_xml_parse(&doc, resp.body.ptr, resp.body.len, "ListMultipartUploads");
		if (rc == 0) {
			rc = tp_xml_foreach(tp_xml_root(doc), "Upload", abort_upload, e);
			tp_xml_text_buf(tp_xml_root(doc), "IsTruncated", trunc, sizeof(trunc));
		}
		xmlFreeDoc(doc);
		doc = NULL;
	}
	tp_http_response_release(&resp);
	tp_params_release(&q);
	return rc;
}

int tp_s3_empty_bucket(tp_aws_client *c, const char *region, const char *bucket,
		       const tp_s3_empty_opts *opts, uint64_t *deleted)
{
	emptier e;
	int n, rc;

	memset(&e, 0, sizeof(e));
	e.c = c;
	e.region = region;
	e.bucket = bucket;
	e.deadline_ms = opts ? opts->deadline_ms : 0;
	n = opts ? opts->parallel : 1;
	n = n <= 1 ? 0 : n > MAX_WORKERS ? MAX_WORKERS : n;
	e.cap = 2 * (size_t)(n ? n : 1);
	pthread_mutex_init(&e.mu, NULL);
	pthread_cond_init(&e.more, NULL);
	pthread_cond_init(&e.room, NULL);
	rc = has_versions(&e);
	e.versioned = rc != 0;
	if (rc >= 0)
		rc = run(&e, n);
	if (rc == 0)
		rc = abort_uploads(&e);
	while (e.head) {
		batch *b = e.head;
		e.head = b->next;
		batch_free(b);
	}
	pthread_cond_destroy(&e.room);
	pthread_cond_destroy(&e.more);
	pthread_mutex_destroy(&e.mu);
	if (deleted)
		*deleted = e.deleted;
	return rc;
}
