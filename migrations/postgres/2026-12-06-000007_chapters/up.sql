-- The book's chapters, as the PDF reader found its headings, and the chapter each sentence
-- stands in (NULL before the first heading and for results made before chapters were read).
CREATE TABLE chapters (
    history_id TEXT NOT NULL REFERENCES history (id) ON DELETE CASCADE,
    idx        INTEGER NOT NULL,
    title      TEXT NOT NULL,
    first_page INTEGER NOT NULL,
    PRIMARY KEY (history_id, idx)
);
ALTER TABLE sentences ADD COLUMN chapter INTEGER;
