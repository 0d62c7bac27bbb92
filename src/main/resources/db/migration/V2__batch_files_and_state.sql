-- Files and batches of the Files and Batch APIs (batch/JdbcBatchStore), shared by every replica that uses the
-- database. Portable SQL: runs on PostgreSQL and on H2 in PostgreSQL mode.

-- A file (an upload, or a batch's output or error file). Its bytes are the chunks of content_id: a file written again
-- under the same id gets a new content_id in the same transaction that drops the old one, so a reader never sees
-- two versions mixed.
CREATE TABLE batch_files (
    id              VARCHAR(100)  NOT NULL PRIMARY KEY,
    content_id      VARCHAR(40)   NOT NULL UNIQUE,
    bytes           BIGINT        NOT NULL,
    chunks          INTEGER       NOT NULL,
    created_at_ms   BIGINT        NOT NULL,
    filename        VARCHAR(1024) NOT NULL,
    purpose         VARCHAR(32)   NOT NULL,
    owner_kind      VARCHAR(16)   NOT NULL,
    -- the SHA-256 hex of the virtual key that owns it (never the key), else null
    owner_key_hash  VARCHAR(64)
);
CREATE INDEX batch_files_created ON batch_files (created_at_ms, id);
CREATE INDEX batch_files_owner ON batch_files (owner_key_hash, created_at_ms);

-- The content of a file, in chunks of up to 256 KiB (seq 0, 1, ...), streamed in and out.
CREATE TABLE batch_file_chunks (
    content_id  VARCHAR(40) NOT NULL,
    seq         INTEGER     NOT NULL,
    data        BYTEA       NOT NULL,
    PRIMARY KEY (content_id, seq)
);

-- Contents being written: a row from the first chunk until the file's row points at the content. A row still here
-- an hour later belongs to a writer that died, and its chunks are deleted.
CREATE TABLE batch_file_uploads (
    content_id     VARCHAR(40) NOT NULL PRIMARY KEY,
    started_at_ms  BIGINT      NOT NULL
);

-- A batch: its state as JSON (batch/BatchJob: OpenAI's batch fields and the gateway's lease), plus the columns
-- queries need, kept in step with it, and how many lines have a result (completed: the core answered 200).
-- Every change is a read-modify-write under the row's lock (SELECT ... FOR UPDATE).
CREATE TABLE batches (
    id                 VARCHAR(100) NOT NULL PRIMARY KEY,
    status             VARCHAR(16)  NOT NULL,
    owner_key_hash     VARCHAR(64),
    created_at_ms      BIGINT       NOT NULL,
    results_completed  INTEGER      NOT NULL DEFAULT 0,
    results_failed     INTEGER      NOT NULL DEFAULT 0,
    state              VARCHAR      NOT NULL
);
CREATE INDEX batches_status ON batches (status);
CREATE INDEX batches_created ON batches (created_at_ms, id);
CREATE INDEX batches_owner ON batches (owner_key_hash, created_at_ms);

-- One row per finished input line of a running batch: the line of its output file (ok) or error file, in OpenAI's
-- batch output format. Inserted under the batch row's lock, only for lines without a row, so a line is recorded once
-- whoever writes it and however often (the batch row's results_* count them); deleted when the batch reaches a
-- final status (its output and error files hold them).
CREATE TABLE batch_results (
    batch_id  VARCHAR(100) NOT NULL,
    line      INTEGER      NOT NULL,
    ok        BOOLEAN      NOT NULL,
    result    BYTEA        NOT NULL,
    PRIMARY KEY (batch_id, line)
);
