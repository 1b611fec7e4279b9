#!/usr/bin/env python3
"""Bytes of text a job stores, per page of its book: runs `fnt serve` (BINARY) on a fresh
SQLite data directory, uploads PDF with the local engine, waits for the job, then sums the
text columns of what the job left (chunk inputs and results, the history entry). Reads both
schemas: before the book model (`sentences`, the original on every piece) and after it
(`source_sentences` + `pieces`).

    scripts/stored_bytes.py target/release/fnt benches/books/chromium-long.pdf
"""

import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upload(base, pdf):
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"book.pdf\"\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{base}/api/v1/jobs",
        data=body,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)["job_id"]


def wait(base, job):
    while True:
        with urllib.request.urlopen(f"{base}/api/v1/jobs/{job}") as answer:
            state = json.load(answer)
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.5)


def total(db, sql, *args):
    return db.execute(sql, args).fetchone()[0] or 0


def measure(path, job):
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    entry = "(SELECT id FROM history WHERE job_id = ?)"
    out = {
        "chunk inputs": total(db, "SELECT SUM(LENGTH(CAST(input AS BLOB))) FROM job_chunks WHERE job_id = ?", job),
        "chunk results": total(db, "SELECT SUM(LENGTH(CAST(result AS BLOB))) FROM job_chunks WHERE job_id = ?", job),
    }
    if "pieces" in tables:
        out["source sentences"] = total(db, f"SELECT SUM(LENGTH(CAST(text AS BLOB))) FROM source_sentences WHERE history_id = {entry}", job)
        out["pieces"] = total(db, f"SELECT SUM(LENGTH(CAST(normalized AS BLOB)) + IFNULL(LENGTH(CAST(engine_text AS BLOB)), 0)) FROM pieces WHERE history_id = {entry}", job)
        out["piece rows"] = total(db, f"SELECT COUNT(*) FROM pieces WHERE history_id = {entry}", job)
    else:
        out["sentences (with originals)"] = total(db, f"SELECT SUM(LENGTH(CAST(normalized AS BLOB)) + LENGTH(CAST(original AS BLOB)) + IFNULL(LENGTH(CAST(engine_text AS BLOB)), 0)) FROM sentences WHERE history_id = {entry}", job)
        out["piece rows"] = total(db, f"SELECT COUNT(*) FROM sentences WHERE history_id = {entry}", job)
    return out


def main():
    binary, pdf_path = sys.argv[1], sys.argv[2]
    pdf = open(pdf_path, "rb").read()
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        server = subprocess.Popen(
            [binary, "serve", "--bind", f"127.0.0.1:{port}", "--data-dir", data],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz")
                    break
                except OSError:
                    time.sleep(0.1)
            job = upload(base, pdf)
            state = wait(base, job)
        finally:
            server.terminate()
            server.wait()
        if state["status"] != "completed":
            sys.exit(f"the job ended {state['status']}: {state.get('error')}")
        sizes = measure(f"{data}/fnt.sqlite3", job)
    pages = state["page_count"]
    rows = sizes.pop("piece rows")
    stored = sum(sizes.values())
    print(f"{pdf_path}: {pages} pages, {rows} pieces")
    for what, size in sizes.items():
        print(f"  {what:28} {size:>12,} bytes  {size / pages:>10,.0f} per page")
    print(f"  {'stored':28} {stored:>12,} bytes  {stored / pages:>10,.0f} per page")


if __name__ == "__main__":
    main()
