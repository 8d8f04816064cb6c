/* SPDX-License-Identifier: Apache-2.0 */
#include "spool.h"
#include "bw_crc32c.h"
#include "bw_log.h"
#include "bw_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SPOOL_MAGIC 0x50535742u /* "BWSP" little-endian */
#define SPOOL_MIN_SEGMENT (64u << 10)

struct seg {
	uint64_t id;
	uint64_t size;
};

struct bw_spool {
	char *dir;
	int dirfd;
	int tailfd;
	struct seg *segs; /* sorted by id; the last one is the tail */
	size_t nsegs, capsegs;
	struct bw_spool_pos head;
	uint64_t max_bytes, seg_bytes;
	uint64_t pending;
	int dirty, dir_dirty;
	uint64_t head_written_ns;
	struct bw_spool_stats st;
};

struct rec_hdr {
	uint32_t magic;
	uint32_t len;
	uint32_t crc;
	uint32_t pad;
	uint64_t ts_ns;
};

_Static_assert(sizeof(struct rec_hdr) == BW_SPOOL_HDR, "spool header layout");

static void seg_path(const struct bw_spool *s, uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%016" PRIx64 ".spool", s->dir, id);
}

static struct seg *seg_find(struct bw_spool *s, uint64_t id)
{
	for (size_t i = 0; i < s->nsegs; i++)
		if (s->segs[i].id == id)
			return &s->segs[i];
	return NULL;
}

static int seg_push(struct bw_spool *s, uint64_t id, uint64_t size)
{
	if (s->nsegs == s->capsegs) {
		size_t cap = s->capsegs ? s->capsegs * 2 : 16;
		struct seg *n = realloc(s->segs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->segs = n;
		s->capsegs = cap;
	}
	s->segs[s->nsegs].id = id;
	s->segs[s->nsegs].size = size;
	s->nsegs++;
	return 0;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int open_tail(struct bw_spool *s, uint64_t id, int create)
{
	char path[4096];
	int fd;

	seg_path(s, id, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (fd < 0)
		return -errno;
	if (s->tailfd >= 0)
		close(s->tailfd);
	s->tailfd = fd;
	return 0;
}

/* Walks a segment's records; returns the offset just past the last valid one. */
static uint64_t scan_valid(int fd, uint64_t size, uint64_t *nrec)
{
	uint64_t off = 0;
	struct rec_hdr h;
	void *buf = NULL;
	size_t cap = 0;

	while (off + BW_SPOOL_HDR <= size) {
		if (pread(fd, &h, sizeof(h), (off_t)off) != (ssize_t)sizeof(h))
			break;
		if (h.magic != SPOOL_MAGIC || off + BW_SPOOL_HDR + h.len > size)
			break;
		if (h.len > cap) {
			void *n = realloc(buf, h.len);

			if (!n)
				break;
			buf = n;
			cap = h.len;
		}
		if (pread(fd, buf, h.len, (off_t)(off + BW_SPOOL_HDR)) != (ssize_t)h.len)
			break;
		if (bw_crc32c(0, buf, h.len) != h.crc)
			break;
		off += BW_SPOOL_HDR + h.len;
		(*nrec)++;
	}
	free(buf);
	return off;
}

static void read_head_file(struct bw_spool *s)
{
	char path[4096];
	unsigned long long seg, off;
	FILE *f;

	snprintf(path, sizeof(path), "%s/head", s->dir);
	f = fopen(path, "re");
	if (!f)
		return;
	/* A torn or missing head file only means replaying more records. */
	if (fscanf(f, "%llx %llu", &seg, &off) == 2) {
		s->head.seg = seg;
		s->head.off = off;
	}
	fclose(f);
}

static void write_head_file(struct bw_spool *s)
{
	char path[4096], tmp[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/head", s->dir);
	snprintf(tmp, sizeof(tmp), "%s/head.tmp", s->dir);
	f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%016" PRIx64 " %" PRIu64 "\n", s->head.seg, s->head.off);
	if (fclose(f) == 0)
		(void)rename(tmp, path);
	s->head_written_ns = bw_mono_ns();
}

int bw_spool_open(struct bw_spool **out, const char *dir, uint64_t max_bytes,
		  uint64_t segment_bytes, char *err, size_t errlen)
{
	struct bw_spool *s;
	struct dirent *de;
	DIR *d = NULL;
	int rc;

	if (!dir || !*dir) {
		snprintf(err, errlen, "spool directory is empty");
		return -EINVAL;
	}
	if (segment_bytes < SPOOL_MIN_SEGMENT)
		segment_bytes = SPOOL_MIN_SEGMENT;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "cannot create spool directory %s: %s", dir, strerror(-rc));
		return rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tailfd = -1;
	s->max_bytes = max_bytes;
	s->seg_bytes = segment_bytes;
	s->dir = strdup(dir);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!s->dir || s->dirfd < 0) {
		rc = s->dir ? -errno : -ENOMEM;
		snprintf(err, errlen, "cannot open spool directory %s: %s", dir, strerror(-rc));
		goto cleanup;
	}
	d = opendir(dir);
	if (!d) {
		rc = -errno;
		snprintf(err, errlen, "cannot list spool directory %s: %s", dir, strerror(-rc));
		goto cleanup;
	}
	while ((de = readdir(d))) {
		char *end;
		unsigned long long id;
		struct stat stb;

		if (strlen(de->d_name) != 22 || strcmp(de->d_name + 16, ".spool") != 0)
			continue;
		id = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		if (fstatat(s->dirfd, de->d_name, &stb, 0))
			continue;
		rc = seg_push(s, id, (uint64_t)stb.st_size);
		if (rc)
			goto cleanup;
	}
	if (s->nsegs > 1)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), cmp_seg);
	read_head_file(s);

	/* Segments wholly before the head were delivered already. */
	while (s->nsegs > 1 && s->segs[0].id < s->head.seg) {
		char path[4096];

		seg_path(s, s->segs[0].id, path, sizeof(path));
		unlink(path);
		memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
		s->nsegs--;
	}
	if (s->nsegs == 0) {
		rc = seg_push(s, 1, 0);
		if (rc)
			goto cleanup;
		rc = open_tail(s, 1, 1);
		if (rc == -EEXIST)
			rc = open_tail(s, 1, 0);
		if (rc) {
			snprintf(err, errlen, "cannot create a spool segment in %s: %s", dir,
				 strerror(-rc));
			goto cleanup;
		}
		s->dir_dirty = 1;
		s->head.seg = 1;
		s->head.off = 0;
	} else {
		struct seg *tail = &s->segs[s->nsegs - 1];
		uint64_t nrec = 0, valid;

		rc = open_tail(s, tail->id, 0);
		if (rc) {
			snprintf(err, errlen, "cannot open spool segment in %s: %s", dir,
				 strerror(-rc));
			goto cleanup;
		}
		{
			char path[4096];
			int rfd;

			seg_path(s, tail->id, path, sizeof(path));
			rfd = open(path, O_RDONLY | O_CLOEXEC);
			valid = rfd >= 0 ? scan_valid(rfd, tail->size, &nrec) : 0;
			if (rfd >= 0)
				close(rfd);
		}
		if (valid < tail->size) {
			/* A write cut short by a crash: it was never acknowledged. */
			bw_warn("spool: cutting a torn record | segment=%016" PRIx64 " at=%" PRIu64
				" size=%" PRIu64,
				tail->id, valid, tail->size);
			if (ftruncate(s->tailfd, (off_t)valid) == 0)
				tail->size = valid;
		}
		if (!seg_find(s, s->head.seg) || s->head.off > seg_find(s, s->head.seg)->size) {
			s->head.seg = s->segs[0].id;
			s->head.off = 0;
		}
	}
	for (size_t i = 0; i < s->nsegs; i++)
		if (s->segs[i].id >= s->head.seg)
			s->pending +=
			    s->segs[i].size - (s->segs[i].id == s->head.seg ? s->head.off : 0);
	if (s->pending) {
		struct bw_spool_pos cur = s->head;
		void *data;
		size_t len;

		while (bw_spool_read(s, &cur, &data, &len, NULL) == 0) {
			free(data);
			s->st.recovered++;
		}
		bw_info("spool: recovered pending records | dir=%s records=%" PRIu64
			" bytes=%" PRIu64,
			dir, s->st.recovered, s->pending);
	}
	closedir(d);
	*out = s;
	return 0;
cleanup:
	if (d)
		closedir(d);
	bw_spool_close(s);
	return rc;
}

void bw_spool_close(struct bw_spool *s)
{
	if (!s)
		return;
	if (s->tailfd >= 0)
		close(s->tailfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->segs);
	free(s->dir);
	free(s);
}

int bw_spool_append(struct bw_spool *s, const void *data, size_t len)
{
	struct rec_hdr h = {SPOOL_MAGIC, (uint32_t)len, 0, 0, bw_real_ns()};
	struct seg *tail = &s->segs[s->nsegs - 1];
	uint64_t need = BW_SPOOL_HDR + len;
	struct iovec iov[2];
	ssize_t n;
	int rc;

	if (need > s->seg_bytes || len > UINT32_MAX)
		return -EMSGSIZE;
	if (s->pending + need > s->max_bytes) {
		s->st.refused++;
		return -ENOSPC;
	}
	/*
	 * A full segment, or an empty spool whose tail holds only delivered
	 * records: start a new file, so the old one goes with the next release.
	 */
	if ((tail->size + need > s->seg_bytes || s->pending == 0) && tail->size > 0) {
		uint64_t id = tail->id + 1;

		/* The old tail's records must be durable before we lose its fd. */
		if (s->dirty && fdatasync(s->tailfd))
			return -errno;
		s->dirty = 0;
		rc = open_tail(s, id, 1);
		if (rc)
			return rc;
		rc = seg_push(s, id, 0);
		if (rc)
			return rc;
		tail = &s->segs[s->nsegs - 1];
		s->dir_dirty = 1;
	}
	h.crc = bw_crc32c(0, data, len);
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	n = writev(s->tailfd, iov, 2);
	if (n != (ssize_t)need) {
		rc = n < 0 ? -errno : -EIO;
		/* Leave no half record behind for the reader. */
		if (ftruncate(s->tailfd, (off_t)tail->size))
			bw_error("spool: cannot cut a failed write | dir=%s", s->dir);
		return rc;
	}
	tail->size += need;
	s->pending += need;
	s->dirty = 1;
	s->st.appended++;
	return 0;
}

int bw_spool_sync(struct bw_spool *s)
{
	if (s->dirty) {
		if (fdatasync(s->tailfd))
			return -errno;
		s->dirty = 0;
	}
	if (s->dir_dirty) {
		if (fsync(s->dirfd))
			return -errno;
		s->dir_dirty = 0;
	}
	return 0;
}

struct bw_spool_pos bw_spool_head(const struct bw_spool *s)
{
	return s->head;
}

int bw_spool_empty(const struct bw_spool *s)
{
	return s->pending == 0;
}

int bw_spool_read(struct bw_spool *s, struct bw_spool_pos *cur, void **data, size_t *len,
		  uint64_t *ts_ns)
{
	char path[4096];
	struct rec_hdr h;
	struct seg *sg;
	void *buf;
	int fd;

	for (;;) {
		sg = seg_find(s, cur->seg);
		if (!sg) {
			/* Cursor older than the head: restart at the head. */
			*cur = s->head;
			sg = seg_find(s, cur->seg);
			if (!sg)
				return -ENOENT;
		}
		if (cur->off + BW_SPOOL_HDR <= sg->size)
			break;
		if (sg == &s->segs[s->nsegs - 1])
			return -ENOENT;
		cur->seg = sg[1].id;
		cur->off = 0;
	}
	seg_path(s, cur->seg, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &h, sizeof(h), (off_t)cur->off) != (ssize_t)sizeof(h) ||
	    h.magic != SPOOL_MAGIC || cur->off + BW_SPOOL_HDR + h.len > sg->size)
		goto corrupt;
	buf = malloc(h.len ? h.len : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	if (pread(fd, buf, h.len, (off_t)(cur->off + BW_SPOOL_HDR)) != (ssize_t)h.len ||
	    bw_crc32c(0, buf, h.len) != h.crc) {
		free(buf);
		goto corrupt;
	}
	close(fd);
	cur->off += BW_SPOOL_HDR + h.len;
	*data = buf;
	*len = h.len;
	if (ts_ns)
		*ts_ns = h.ts_ns;
	return 0;
corrupt:
	close(fd);
	s->st.corrupt++;
	bw_error("spool: corrupt record, skipping the rest of its segment | segment=%s at=%" PRIu64,
		 path, cur->off);
	cur->off = sg->size;
	return bw_spool_read(s, cur, data, len, ts_ns);
}

int bw_spool_release(struct bw_spool *s, struct bw_spool_pos pos)
{
	int seg_changed = pos.seg != s->head.seg;
	uint64_t freed = 0;

	if (pos.seg < s->head.seg || (pos.seg == s->head.seg && pos.off <= s->head.off))
		return 0;
	for (size_t i = 0; i < s->nsegs; i++) {
		struct seg *sg = &s->segs[i];
		uint64_t from, to;

		if (sg->id < s->head.seg || sg->id > pos.seg)
			continue;
		from = sg->id == s->head.seg ? s->head.off : 0;
		to = sg->id == pos.seg ? pos.off : sg->size;
		freed += to - from;
	}
	s->head = pos;
	s->pending -= freed < s->pending ? freed : s->pending;
	/* Unlink segments wholly delivered, never the tail. */
	while (s->nsegs > 1 && s->segs[0].id < s->head.seg) {
		char path[4096];

		seg_path(s, s->segs[0].id, path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			bw_warn("spool: cannot remove a delivered segment | path=%s err=%s", path,
				strerror(errno));
		memmove(s->segs, s->segs + 1, (s->nsegs - 1) * sizeof(*s->segs));
		s->nsegs--;
	}
	if (seg_changed || s->pending == 0 || bw_mono_ns() - s->head_written_ns > 100000000ull)
		write_head_file(s);
	return 0;
}

void bw_spool_get_stats(const struct bw_spool *s, struct bw_spool_stats *st)
{
	*st = s->st;
	st->pending_bytes = s->pending;
	st->segments = s->nsegs;
	st->oldest_ns = 0;
	if (s->pending) {
		struct bw_spool_pos cur = s->head;
		const struct seg *sg = NULL;
		char path[4096];
		struct rec_hdr h;
		int fd;

		for (size_t i = 0; i < s->nsegs; i++)
			if (s->segs[i].id == cur.seg)
				sg = &s->segs[i];
		if (sg && cur.off + BW_SPOOL_HDR > sg->size && sg + 1 < s->segs + s->nsegs) {
			cur.seg = sg[1].id;
			cur.off = 0;
		}
		seg_path(s, cur.seg, path, sizeof(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (pread(fd, &h, sizeof(h), (off_t)cur.off) == (ssize_t)sizeof(h) &&
			    h.magic == SPOOL_MAGIC)
				st->oldest_ns = h.ts_ns;
			close(fd);
		}
	}
}
