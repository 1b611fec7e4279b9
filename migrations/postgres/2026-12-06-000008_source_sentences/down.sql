CREATE TABLE sentences (
    history_id  TEXT NOT NULL REFERENCES history (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    normalized  TEXT NOT NULL,
    original    TEXT NOT NULL,
    page        INTEGER NOT NULL,
    engine      TEXT NOT NULL,
    edited      BOOLEAN NOT NULL DEFAULT FALSE,
    engine_text TEXT,
    edited_at   BIGINT,
    chapter     INTEGER,
    PRIMARY KEY (history_id, position)
);

INSERT INTO sentences (history_id, position, normalized, original, page, engine, edited,
                       engine_text, edited_at, chapter)
SELECT p.history_id, p.position, p.normalized, s.text, s.page, p.engine, p.edited,
       p.engine_text, p.edited_at, s.chapter
FROM pieces p
JOIN source_sentences s ON s.history_id = p.history_id AND s.idx = p.source_idx;

DROP TABLE pieces;
DROP TABLE source_sentences;
