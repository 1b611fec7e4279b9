-- The book model: each source sentence stored once, its pieces pointing to it. Before, every
-- piece carried its whole original, so storage grew with the square of a sentence's length.
CREATE TABLE source_sentences (
    history_id TEXT NOT NULL REFERENCES history (id) ON DELETE CASCADE,
    -- 0-based, in book order.
    idx        INTEGER NOT NULL,
    page       INTEGER NOT NULL,
    -- chapters.idx of the chapter it stands in; NULL before the first heading.
    chapter    INTEGER,
    text       TEXT NOT NULL,
    PRIMARY KEY (history_id, idx)
);

CREATE TABLE pieces (
    history_id  TEXT NOT NULL REFERENCES history (id) ON DELETE CASCADE,
    -- 0-based, in book order across all pieces: what edits and exports call a sentence.
    position    INTEGER NOT NULL,
    source_idx  INTEGER NOT NULL,
    -- 0-based order within its source sentence.
    piece_idx   INTEGER NOT NULL,
    normalized  TEXT NOT NULL,
    -- How the piece relates to its source; NULL for results made before kinds were kept.
    kind        TEXT CHECK (kind IN ('verbatim', 'split', 'rewritten', 'over_limit')),
    engine      TEXT NOT NULL,
    model       TEXT,
    edited      BOOLEAN NOT NULL DEFAULT FALSE,
    -- What the engine wrote, kept once the learner edits normalized.
    engine_text TEXT,
    edited_at   BIGINT,
    PRIMARY KEY (history_id, position),
    FOREIGN KEY (history_id, source_idx)
        REFERENCES source_sentences (history_id, idx) ON DELETE CASCADE
);

CREATE INDEX pieces_source_idx ON pieces (history_id, source_idx, piece_idx);

-- Old rows: consecutive pieces with the same original on the same page are one source
-- sentence, unless the first is that whole sentence already (the same short sentence twice
-- in a row, "Oui." "Oui.", is two sentences). That is all the old form can tell.
CREATE TABLE sentences_numbered AS
SELECT history_id, position, normalized, original, page, engine, edited, engine_text,
       edited_at, chapter,
       SUM(starts) OVER (PARTITION BY history_id ORDER BY position
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - 1 AS source_idx
FROM (
    SELECT s.*,
           CASE WHEN LAG(original) OVER w = original AND LAG(page) OVER w = page
                     AND LAG(COALESCE(engine_text, normalized)) OVER w <> original
                THEN 0 ELSE 1 END AS starts
    FROM sentences s
    WINDOW w AS (PARTITION BY history_id ORDER BY position)
) marked;

INSERT INTO source_sentences (history_id, idx, page, chapter, text)
SELECT history_id, source_idx, page, chapter, original
FROM sentences_numbered n
WHERE position = (SELECT MIN(position) FROM sentences_numbered f
                  WHERE f.history_id = n.history_id AND f.source_idx = n.source_idx);

INSERT INTO pieces (history_id, position, source_idx, piece_idx, normalized, kind, engine,
                    model, edited, engine_text, edited_at)
SELECT history_id, position, source_idx,
       ROW_NUMBER() OVER (PARTITION BY history_id, source_idx ORDER BY position) - 1,
       normalized, NULL, engine, NULL, edited, engine_text, edited_at
FROM sentences_numbered;

DROP TABLE sentences_numbered;
DROP TABLE sentences;
