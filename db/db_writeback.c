/* db_writeback.c — start writeback of a database file as it grows (db_writeback.h). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "db_writeback.h"

#define WATCH_STEPS 65536 /* VM steps between size checks: one fstat per ~1 ms of inserts */

static void start_writeback(struct db_writeback *wb, int64_t size)
{
#ifdef SYNC_FILE_RANGE_WRITE
	/* the whole file: pages written back already are skipped by the page cache's tags */
	if (sync_file_range(wb->fd, 0, 0, SYNC_FILE_RANGE_WRITE) != 0)
		return; /* nothing lost: the fsync at the end writes it */
#endif
	wb->started = size;
}

static int on_progress(void *ud)
{
	struct db_writeback *wb = ud;
	struct stat sb;
	if (fstat(wb->fd, &sb) == 0 && (int64_t)sb.st_size - wb->started >= DB_WRITEBACK_STEP)
		start_writeback(wb, (int64_t)sb.st_size);
	return 0; /* never interrupts the statement */
}

void db_writeback_watch(struct db_writeback *wb, sqlite3 *db)
{
	wb->db = db;
	wb->fd = -1;
	wb->started = 0;
#ifdef SYNC_FILE_RANGE_WRITE
	const char *path = sqlite3_db_filename(db, "main");
	if (!path || !*path || (wb->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		wb->fd = -1;
		return;
	}
	sqlite3_progress_handler(db, WATCH_STEPS, on_progress, wb);
#endif
}

void db_writeback_now(struct db_writeback *wb)
{
	struct stat sb;
	if (wb->fd >= 0 && fstat(wb->fd, &sb) == 0)
		start_writeback(wb, (int64_t)sb.st_size);
}

void db_writeback_stop(struct db_writeback *wb)
{
	if (wb->fd < 0)
		return;
	sqlite3_progress_handler(wb->db, 0, NULL, NULL);
	close(wb->fd);
	wb->fd = -1;
}
