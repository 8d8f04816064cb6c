/* SPDX-License-Identifier: Apache-2.0 */
#include "store.h"
#include "bw_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR 8u
#define OP_HDR 9u
/* A record larger than this is damage, not data (no transaction gets near it). */
#define MAX_RECORD (256u << 20)
/* Snapshot records are cut at this size so a rewrite never buffers the whole state. */
#define DUMP_CHUNK (256u << 10)

struct bw_store_txn {
	unsigned char *buf;
	size_t len, cap;
	size_t ops;
	int sink_fd; /* rewrite: flush full chunks here; -1 otherwise */
	int sink_err;
};

struct bw_store {
	char *dir;
	int wal_fd;
	uint64_t wal_bytes;
	int pending; /* lazily committed, not yet fdatasync'ed */
	struct bw_store_stats st;
};

static void put_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the files are host-endian: they never leave the machine */
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* ---- transactions --------------------------------------------------------- */

int bw_store_txn_new(struct bw_store_txn **out)
{
	struct bw_store_txn *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cap = 256;
	t->buf = malloc(t->cap);
	if (!t->buf) {
		free(t);
		return -ENOMEM;
	}
	t->len = HDR; /* room for the record header */
	t->sink_fd = -1;
	*out = t;
	return 0;
}

void bw_store_txn_free(struct bw_store_txn *t)
{
	if (!t)
		return;
	free(t->buf);
	free(t);
}

size_t bw_store_txn_ops(const struct bw_store_txn *t)
{
	return t->ops;
}

/* Fills the header of t's buffer; returns the record length. */
static size_t seal(const struct bw_store_txn *t)
{
	unsigned char *b = t->buf;
	size_t plen = t->len - HDR;

	put_u32(b, (uint32_t)plen);
	put_u32(b + 4, bw_crc32c(0, b + HDR, plen));
	return t->len;
}

static int sink_flush(struct bw_store_txn *t)
{
	int rc;

	if (t->ops == 0)
		return 0;
	rc = write_all(t->sink_fd, t->buf, seal(t));
	t->len = HDR;
	t->ops = 0;
	return rc;
}

int bw_store_txn_put(struct bw_store_txn *t, char type, const char *key, const void *value,
		     size_t vlen)
{
	size_t klen = strlen(key), need = OP_HDR + klen + vlen;
	unsigned char *p;

	if (t->sink_err)
		return t->sink_err;
	if (klen > UINT32_MAX || vlen > UINT32_MAX || t->len + need > MAX_RECORD)
		return -E2BIG;
	if (t->len + need > t->cap) {
		size_t ncap = t->cap;
		unsigned char *nb;

		while (ncap < t->len + need)
			ncap *= 2;
		nb = realloc(t->buf, ncap);
		if (!nb)
			return -ENOMEM;
		t->buf = nb;
		t->cap = ncap;
	}
	p = t->buf + t->len;
	p[0] = (unsigned char)type;
	put_u32(p + 1, (uint32_t)klen);
	put_u32(p + 5, value ? (uint32_t)vlen : UINT32_MAX); /* UINT32_MAX marks a delete */
	memcpy(p + OP_HDR, key, klen);
	if (value && vlen)
		memcpy(p + OP_HDR + klen, value, vlen);
	t->len += OP_HDR + klen + (value ? vlen : 0);
	t->ops++;
	if (t->sink_fd >= 0 && t->len - HDR >= DUMP_CHUNK)
		t->sink_err = sink_flush(t);
	return t->sink_err;
}

int bw_store_txn_del(struct bw_store_txn *t, char type, const char *key)
{
	return bw_store_txn_put(t, type, key, NULL, 0);
}

/* ---- replay ----------------------------------------------------------------- */

static int apply_payload(const unsigned char *p, size_t len, bw_store_replay_fn fn, void *arg,
			 const char *path, uint64_t off)
{
	size_t i = 0;
	char *key = NULL;
	int rc = 0;

	while (i < len) {
		uint32_t klen, vlen;
		int del;

		if (len - i < OP_HDR)
			goto bad;
		klen = get_u32(p + i + 1);
		vlen = get_u32(p + i + 5);
		del = vlen == UINT32_MAX;
		if (del)
			vlen = 0;
		if ((uint64_t)len - i - OP_HDR < (uint64_t)klen + vlen)
			goto bad;
		key = strndup((const char *)p + i + OP_HDR, klen);
		if (!key)
			return -ENOMEM;
		rc = fn(arg, (char)p[i], key, del ? NULL : p + i + OP_HDR + klen, vlen);
		free(key);
		key = NULL;
		if (rc)
			return rc;
		i += OP_HDR + klen + vlen;
	}
	return 0;
bad:
	/* The CRC matched, so this is a bug or deliberate damage: refuse. */
	bw_error("store record has a malformed operation | file=%s offset=%llu", path,
		 (unsigned long long)off);
	return -EBADMSG;
}

/*
 * Replays one file.  Returns 0 and in *good the offset after the last good
 * record; a torn tail is left for the caller to truncate when tail_ok.
 */
static int replay_file(const char *path, int tail_ok, bw_store_replay_fn fn, void *arg,
		       uint64_t *good, uint64_t *dropped)
{
	unsigned char *data = NULL;
	uint64_t off = 0, size;
	struct stat sb;
	int fd, rc = 0;

	*good = 0;
	*dropped = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb)) {
		rc = -errno;
		goto cleanup;
	}
	size = (uint64_t)sb.st_size;
	data = malloc(size ? size : 1);
	if (!data) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (uint64_t got = 0; got < size;) {
		ssize_t n = pread(fd, data + got, size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto cleanup;
		}
		got += (uint64_t)n;
	}
	while (off < size) {
		uint32_t plen, crc;
		int torn;

		if (size - off < HDR) {
			torn = 1;
		} else {
			plen = get_u32(data + off);
			crc = get_u32(data + off + 4);
			if (plen > MAX_RECORD || plen > size - off - HDR)
				torn = 1; /* runs past the end: the write was cut short */
			else if (bw_crc32c(0, data + off + HDR, plen) != crc)
				torn = off + HDR + plen == size ? 1 : 2;
			else
				torn = 0;
		}
		if (torn == 1 && tail_ok) {
			bw_warn(
			    "dropping a torn record at the end of the log | file=%s offset=%llu "
			    "bytes=%llu",
			    path, (unsigned long long)off, (unsigned long long)(size - off));
			*dropped = 1;
			break;
		}
		if (torn) {
			bw_error("store file is corrupt (CRC or length mismatch before its end) | "
				 "file=%s offset=%llu",
				 path, (unsigned long long)off);
			rc = -EBADMSG;
			goto cleanup;
		}
		rc = apply_payload(data + off + HDR, plen, fn, arg, path, off);
		if (rc)
			goto cleanup;
		off += HDR + plen;
	}
	*good = off;
cleanup:
	free(data);
	close(fd);
	return rc;
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, dir, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) && errno != EEXIST)
		return -errno;
	return 0;
}

int bw_store_open(struct bw_store **out, const char *dir, bw_store_replay_fn fn, void *arg)
{
	char *snap = NULL, *wal = NULL;
	uint64_t good, dropped;
	struct bw_store *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->wal_fd = -1;
	s->dir = strdup(dir);
	snap = path_in(dir, "snapshot");
	wal = path_in(dir, "wal");
	if (!s->dir || !snap || !wal) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = mkdir_p(dir);
	if (rc) {
		bw_error("cannot create the data directory | dir=%s err=%s", dir, strerror(-rc));
		goto cleanup;
	}
	/* A snapshot is complete by construction (renamed after fsync): no torn tail. */
	rc = replay_file(snap, 0, fn, arg, &good, &dropped);
	if (rc)
		goto cleanup;
	rc = replay_file(wal, 1, fn, arg, &good, &dropped);
	if (rc)
		goto cleanup;
	s->wal_fd = open(wal, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
	if (s->wal_fd < 0) {
		rc = -errno;
		bw_error("cannot open the WAL | file=%s err=%s", wal, strerror(-rc));
		goto cleanup;
	}
	if (dropped) {
		s->st.torn_records_dropped++;
		if (ftruncate(s->wal_fd, (off_t)good) || fdatasync(s->wal_fd)) {
			rc = -errno;
			goto cleanup;
		}
	}
	if (lseek(s->wal_fd, (off_t)good, SEEK_SET) < 0) {
		rc = -errno;
		goto cleanup;
	}
	s->wal_bytes = good;
	rc = fsync_dir(dir); /* the WAL's directory entry, when it was just created */
	if (rc)
		goto cleanup;
	*out = s;
	s = NULL;
cleanup:
	free(snap);
	free(wal);
	if (s) {
		if (s->wal_fd >= 0)
			close(s->wal_fd);
		free(s->dir);
		free(s);
	}
	return rc;
}

void bw_store_close(struct bw_store *s)
{
	if (!s)
		return;
	bw_store_flush(s);
	close(s->wal_fd);
	free(s->dir);
	free(s);
}

int bw_store_flush(struct bw_store *s)
{
	if (!s->pending)
		return 0;
	if (fdatasync(s->wal_fd))
		return -errno;
	s->pending = 0;
	s->st.syncs++;
	return 0;
}

int bw_store_commit(struct bw_store *s, const struct bw_store_txn *t, enum bw_store_sync sync)
{
	size_t len;
	int rc;

	if (t->ops == 0)
		return 0;
	len = seal(t);
	rc = write_all(s->wal_fd, t->buf, len);
	if (rc) {
		/*
		 * A partial append would be a torn record in the middle once
		 * later ones follow: cut it off so the log stays replayable.
		 */
		if (ftruncate(s->wal_fd, (off_t)s->wal_bytes) == 0)
			lseek(s->wal_fd, (off_t)s->wal_bytes, SEEK_SET);
		bw_error("WAL append failed | err=%s", strerror(-rc));
		return rc;
	}
	s->wal_bytes += len;
	s->st.commits++;
	s->pending = 1;
	if (sync == BW_STORE_SYNC)
		return bw_store_flush(s);
	return 0;
}

uint64_t bw_store_wal_bytes(const struct bw_store *s)
{
	return s->wal_bytes;
}

int bw_store_rewrite(struct bw_store *s, int (*dump)(void *arg, struct bw_store_txn *t), void *arg)
{
	char *tmp = path_in(s->dir, "snapshot.tmp"), *snap = path_in(s->dir, "snapshot");
	struct bw_store_txn *t = NULL;
	int fd = -1, rc;

	if (!tmp || !snap) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = bw_store_txn_new(&t);
	if (rc)
		goto cleanup;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		goto cleanup;
	}
	t->sink_fd = fd;
	rc = dump(arg, t);
	if (!rc)
		rc = t->sink_err ? t->sink_err : sink_flush(t);
	if (rc)
		goto cleanup;
	if (fsync(fd)) {
		rc = -errno;
		goto cleanup;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, snap)) {
		rc = -errno;
		goto cleanup;
	}
	rc = fsync_dir(s->dir);
	if (rc)
		goto cleanup;
	/* From here the snapshot holds everything: the WAL may go. */
	if (ftruncate(s->wal_fd, 0) || lseek(s->wal_fd, 0, SEEK_SET) < 0 || fdatasync(s->wal_fd)) {
		rc = -errno;
		goto cleanup;
	}
	s->wal_bytes = 0;
	s->pending = 0;
	s->st.rewrites++;
cleanup:
	if (rc)
		bw_error("snapshot rewrite failed | dir=%s err=%s", s->dir, strerror(-rc));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	bw_store_txn_free(t);
	free(tmp);
	free(snap);
	return rc;
}

void bw_store_get_stats(const struct bw_store *s, struct bw_store_stats *st)
{
	*st = s->st;
}
