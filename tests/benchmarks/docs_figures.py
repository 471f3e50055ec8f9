"""Document index figures: indexing speed, search latency, recall@5.

Run:  python tests/benchmarks/docs_figures.py [--sizes 10000,100000] [--queries 200]
      [--skip-recall] [--skip-indexing] [--vector-dims 1024]

Prints one JSON document:

- indexing: index_collection on a folder of generated documents (.txt, .md, .docx,
  .pdf; Korean and English text, the PDFs and DOCX made by their real writers with
  tests/doc_factory.py), no embeddings. `index_mb_s` is MB (10^6 bytes) of extracted
  text, as UTF-8, per second of indexing (hashing, reading, chunking, writing the
  chunks and the full-text index); `extract_mb_s` is the readers alone on the same
  files, to show where the time goes. Per format and over the whole folder.
- search: at each size (chunks), the latency of DocumentIndex.search(top_k=5) for a
  collection, as the answering service calls it, over --queries queries drawn from the
  text (one word, two words, Korean two-syllable words and words with particles,
  five-word questions): p50 and p95 in ms, after one warm-up pass. Goals: p95 <= 50 ms
  at 10,000 chunks and <= 200 ms at 100,000. The words of a query are drawn alike
  from the text's 5,000 most frequent words but the first 20; questions also carry
  words drawn as the text has them, common ones included. `text_common_word_alone` is
  the worst case: one of the ten most frequent words alone, found in most chunks (a
  word with rarer company is dropped, see core/docs/index/query.py). `hybrid` is the
  same with a query vector (random unit vectors of --vector-dims stored for every
  chunk, as an embedder would), full-text and cosine rankings fused by reciprocal rank.
- recall_at_5: the questions of tests/benchmarks/docs_questions.json (Korean and
  English; answers in .pdf .docx .hwpx .hwp .html .md .txt, written with
  tests/doc_factory.py): the share whose answer file (and page, for PDFs) is among the
  top 5 results, full-text search alone (no embedding model), overall and per
  language and format; `missed` lists the others.

Not part of the test run: these are figures, and machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: doc_factory
sys.path.insert(0, str(HERE.parents[1]))

from doc_factory import make_docx, make_html, make_hwp, make_hwpx, make_pdf  # noqa: E402

from parrotchat.core.docs.formats import iter_passages  # noqa: E402
from parrotchat.core.docs.index import DocumentIndex, index_collection  # noqa: E402

QUESTIONS = HERE / "docs_questions.json"
SEED = 13

# --- generated text --------------------------------------------------------------------

_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"
_PARTICLES = ("은", "는", "이", "가", "을", "를", "에", "의", "에서", "으로", "와", "도", "")


class TextMaker:
    """Korean and English-like paragraphs with Zipf-distributed words (a real text's
    shape: a few words everywhere, most words rare), reproducible from a seed."""

    def __init__(self, seed: int = SEED, english: int = 20_000, korean: int = 12_000) -> None:
        self.rng = random.Random(seed)
        self.english = sorted({self._english_word() for _ in range(english)})
        self.korean = sorted({self._korean_word() for _ in range(korean)})
        self.rng.shuffle(self.english)
        self.rng.shuffle(self.korean)
        self.en_weights = _zipf_cumulative(len(self.english))
        self.ko_weights = _zipf_cumulative(len(self.korean))

    def _english_word(self) -> str:
        syllables = self.rng.randint(1, 4)
        return "".join(
            self.rng.choice(_CONSONANTS) + self.rng.choice(_VOWELS) for _ in range(syllables)
        ) + self.rng.choice(("", "", "s", "n", "r", "t"))

    def _korean_word(self) -> str:
        return "".join(
            chr(0xAC00 + self.rng.randrange(11172)) for _ in range(self.rng.randint(2, 3))
        )

    def words(self, korean: bool, count: int) -> list[str]:
        if korean:
            stems = self.rng.choices(self.korean, cum_weights=self.ko_weights, k=count)
            return [s + self.rng.choice(_PARTICLES) for s in stems]
        return self.rng.choices(self.english, cum_weights=self.en_weights, k=count)

    def paragraph(self) -> str:
        korean = self.rng.random() < 0.5
        sentences = []
        for _ in range(self.rng.randint(3, 6)):
            words = self.words(korean, self.rng.randint(6, 14))
            end = "다." if korean else "."
            sentences.append(" ".join(words) + end)
        text = " ".join(sentences)
        return text[0].upper() + text[1:]

    def text(self, chars: int) -> str:
        parts: list[str] = []
        size = 0
        while size < chars:
            parts.append(self.paragraph())
            size += len(parts[-1]) + 2
        return "\n\n".join(parts)

    def _content_word(self, korean: bool, two_syllables: bool = False) -> str:
        """A word as people search for one: any of the 5,000 most frequent words but
        the first 20 (the text's own "the", "of"), drawn alike."""
        pool = self.korean if korean else self.english
        choices = pool[20:5000]
        if two_syllables:
            choices = [w for w in choices if len(w) == 2]
        return self.rng.choice(choices)

    def query(self) -> str:
        kind = self.rng.randrange(5)
        if kind == 0:
            return self._content_word(False)
        if kind == 1:
            return f"{self._content_word(False)} {self._content_word(False)}"
        if kind == 2:  # a Korean two-syllable word: below one trigram
            return self._content_word(True, two_syllables=True)
        if kind == 3:
            return self._content_word(True) + self.rng.choice(_PARTICLES)
        # A question: content words among words drawn as the text has them, common ones too.
        korean = self.rng.random() < 0.5
        words = self.words(korean, 3) + [self._content_word(korean) for _ in range(2)]
        self.rng.shuffle(words)
        return " ".join(words) + "?"

    def common_queries(self, count: int) -> list[str]:
        """The worst case: one of the 10 most frequent words alone (in most chunks)."""
        top = self.english[:5] + self.korean[:5]
        return [top[n % len(top)] for n in range(count)]


def _zipf_cumulative(n: int) -> list[float]:
    total = 0.0
    out = []
    for rank in range(1, n + 1):
        total += 1.0 / rank
        out.append(total)
    return out


# --- indexing --------------------------------------------------------------------------


def _write_folder(folder: Path, maker: TextMaker) -> dict[str, list[Path]]:
    """About 4 MB of text in each of .txt and .md, ~2 MB in .docx, ~0.6 MB in .pdf."""
    files: dict[str, list[Path]] = {"txt": [], "md": [], "docx": [], "pdf": []}
    folder.mkdir(parents=True)
    for n in range(40):
        path = folder / f"notes{n:03d}.txt"
        path.write_text(maker.text(100_000), encoding="utf-8")
        files["txt"].append(path)
    for n in range(40):
        path = folder / f"guide{n:03d}.md"
        body = "\n\n".join(f"## Section {s}\n\n{maker.text(10_000)}" for s in range(10))
        path.write_text(f"# Guide {n}\n\n{body}\n", encoding="utf-8")
        files["md"].append(path)
    for n in range(20):
        paragraphs = [maker.paragraph() for _ in range(250)]
        headings = {i: f"{i // 25 + 1}. 장 Chapter" for i in range(0, 250, 25)}
        files["docx"].append(make_docx(folder / f"report{n:03d}.docx", paragraphs, headings))
    for n in range(10):
        pages = [maker.text(2_000) for _ in range(30)]
        files["pdf"].append(make_pdf(folder / f"scan{n:03d}.pdf", pages))
    return files


def _extracted_bytes(paths: list[Path]) -> tuple[int, float]:
    began = time.perf_counter()
    size = 0
    for path in paths:
        size += sum(len(p.text.encode("utf-8")) for p in iter_passages(path))
    return size, time.perf_counter() - began


def indexing_figures(work: Path) -> dict[str, Any]:
    maker = TextMaker(SEED + 1)
    files = _write_folder(work / "corpus", maker)
    figures: dict[str, Any] = {}
    total_bytes = total_time = 0.0
    total_chunks = 0
    with DocumentIndex(work / "indexing.sqlite3") as index:
        for kind, paths in files.items():
            size, extract_s = _extracted_bytes(paths)
            index.add_paths(kind, paths)
            began = time.perf_counter()
            report = index_collection(index, kind)
            seconds = time.perf_counter() - began
            assert report.indexed == len(paths) and not report.failed, report
            chunks = next(c.chunks for c in index.collections() if c.name == kind)
            figures[kind] = {
                "files": len(paths),
                "extracted_mb": round(size / 1e6, 2),
                "chunks": chunks,
                "index_s": round(seconds, 2),
                "index_mb_s": round(size / 1e6 / seconds, 2),
                "extract_mb_s": round(size / 1e6 / extract_s, 2),
            }
            total_bytes += size
            total_time += seconds
            total_chunks += chunks
        began = time.perf_counter()
        report = index_collection(index, "txt")
        rescan_s = time.perf_counter() - began
    figures["all"] = {
        "extracted_mb": round(total_bytes / 1e6, 2),
        "chunks": total_chunks,
        "index_mb_s": round(total_bytes / 1e6 / total_time, 2),
    }
    figures["rescan_unchanged_txt_s"] = round(rescan_s, 2)
    return figures


# --- search latency --------------------------------------------------------------------


def _chunks(index: DocumentIndex) -> int:
    """Chunks in the whole index."""
    return int(index.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])


def _grow(index: DocumentIndex, folder: Path, maker: TextMaker, chunks: int) -> float:
    """Add .txt files to the "bench" collection until it holds `chunks` chunks; the
    seconds spent indexing."""
    folder.mkdir(parents=True, exist_ok=True)
    spent = 0.0
    n = len(list(folder.iterdir()))
    index.add_paths("bench", [folder])
    while (have := _chunks(index)) < chunks:
        # ~930 new characters a chunk (measured: 1,200 at most, less at sentence ends,
        # ~150 of overlap).
        missing = chunks - have
        for _ in range(max(1, missing // 500)):
            size = min(500, missing) * 930
            (folder / f"text{n:05d}.txt").write_text(maker.text(size), encoding="utf-8")
            n += 1
        began = time.perf_counter()
        index_collection(index, "bench")
        spent += time.perf_counter() - began
    return spent


def _store_random_vectors(index: DocumentIndex, dims: int, rng: random.Random) -> None:
    import numpy as np

    generator = np.random.default_rng(rng.randrange(1 << 30))
    while pending := index.chunks_without_vectors("bench-embedder", 5_000):
        matrix = generator.standard_normal((len(pending), dims)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        index.store_vectors(
            "bench-embedder",
            [(cid, row.tolist()) for (cid, _), row in zip(pending, matrix, strict=True)],
        )


def _latencies(search: Callable[[str], object], queries: list[str]) -> dict[str, float]:
    for q in queries[:20]:
        search(q)  # warm the page cache and the statement cache
    times = []
    for q in queries:
        began = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "max_ms": round(times[-1], 1),
    }


def search_figures(work: Path, sizes: list[int], queries: int, dims: int) -> dict[str, Any]:
    maker = TextMaker(SEED)
    rng = random.Random(SEED)
    asked = [maker.query() for _ in range(queries)]
    out: dict[str, Any] = {}
    with DocumentIndex(work / "search.sqlite3") as index:
        for size in sorted(sizes):
            build_s = _grow(index, work / "bench", maker, size)
            have = _chunks(index)
            figures: dict[str, Any] = {"chunks": have, "index_s_added": round(build_s, 1)}
            figures["text"] = _latencies(
                lambda q: index.search(q, collections=["bench"], top_k=5), asked
            )
            figures["text_common_word_alone"] = _latencies(
                lambda q: index.search(q, collections=["bench"], top_k=5),
                maker.common_queries(40),
            )
            if dims:
                began = time.perf_counter()
                _store_random_vectors(index, dims, rng)
                figures["vectors_stored_s"] = round(time.perf_counter() - began, 1)
                vectors = [[rng.gauss(0, 1) for _ in range(dims)] for _ in range(len(asked))]
                pairs = dict(zip(asked, vectors, strict=True))

                def hybrid(q: str, pairs: dict[str, list[float]] = pairs) -> object:
                    return index.search(q, collections=["bench"], top_k=5, query_vector=pairs[q])

                figures["hybrid"] = _latencies(hybrid, asked)
                figures["hybrid"]["dims"] = dims
            out[str(size)] = figures
            print(json.dumps({"progress": {str(size): figures}}), file=sys.stderr)
    return out


# --- recall@5 --------------------------------------------------------------------------


def _write_question_files(folder: Path, documents: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True)
    for doc in documents:
        path = folder / doc["file"]
        kind = doc["format"]
        if kind == "pdf":
            make_pdf(path, doc["pages"])
        elif kind == "docx":
            paragraphs: list[str] = []
            headings: dict[int, str] = {}
            for heading, texts in doc["sections"]:
                headings[len(paragraphs)] = heading
                paragraphs.extend(texts)
            make_docx(path, paragraphs, headings)
        elif kind == "hwpx":
            make_hwpx(path, doc["sections"])
        elif kind == "hwp":
            make_hwp(path, doc["paragraphs"])
        elif kind == "html":
            make_html(path, doc["title"], [(h, ps) for h, ps in doc["sections"]])
        else:
            path.write_text(doc["text"], encoding="utf-8")


def _recall(index: DocumentIndex, spec: dict[str, Any], collection: str) -> dict[str, Any]:
    formats = {d["file"]: d["format"] for d in spec["documents"]}
    ranks: dict[str, list[int | None]] = {}
    missed = []
    for question in spec["questions"]:
        hits = index.search(question["q"], collections=[collection], top_k=5)
        rank = next(
            (
                n
                for n, h in enumerate(hits, 1)
                if Path(h.file).name == question["file"]
                and (question["page"] is None or h.page == question["page"])
            ),
            None,
        )
        for key in ("all", question["lang"], formats[question["file"]]):
            ranks.setdefault(key, []).append(rank)
        if rank is None:
            got = [Path(h.file).name for h in hits]
            missed.append({"q": question["q"], "want": question["file"], "got": got})
    figures: dict[str, Any] = {
        key: {
            "recall_at_5": round(sum(r is not None for r in v) / len(v), 3),
            "recall_at_1": round(sum(r == 1 for r in v) / len(v), 3),
            "mrr": round(sum(1 / r for r in v if r) / len(v), 3),
            "questions": len(v),
        }
        for key, v in ranks.items()
    }
    figures["chunks"] = _chunks_in(index, collection)
    figures["missed"] = missed
    return figures


def _chunks_in(index: DocumentIndex, collection: str) -> int:
    return next(c.chunks for c in index.collections() if c.name == collection)


def recall_figures(work: Path, distractor_chunks: int) -> dict[str, Any]:
    """The questions over their documents alone, then over the same documents among
    `distractor_chunks` chunks of generated Korean and English text."""
    spec = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    folder = work / "questions"
    _write_question_files(folder, spec["documents"])
    out: dict[str, Any] = {"documents": len(spec["documents"])}
    with DocumentIndex(work / "recall.sqlite3") as index:
        index.add_paths("questions", [folder])
        report = index_collection(index, "questions")
        assert not report.failed, report.failed
        out["alone"] = _recall(index, spec, "questions")
        if distractor_chunks:
            noise = work / "distractors"
            noise.mkdir()
            maker = TextMaker(SEED + 2)
            for n in range(max(1, distractor_chunks // 100)):
                (noise / f"noise{n:04d}.txt").write_text(maker.text(105_000), encoding="utf-8")
            index.add_paths("mixed", [folder, noise])
            index_collection(index, "mixed")
            out["among_distractors"] = _recall(index, spec, "mixed")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="chunk counts to search")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--vector-dims", type=int, default=1024, help="0: no hybrid figures")
    parser.add_argument(
        "--distractors", type=int, default=10_000, help="generated chunks mixed into recall"
    )
    parser.add_argument("--skip-indexing", action="store_true")
    parser.add_argument("--skip-recall", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="docs-figures-") as tmp:
        work = Path(tmp)
        if not args.skip_recall:
            result["recall"] = recall_figures(work, args.distractors)
        if not args.skip_indexing:
            result["indexing"] = indexing_figures(work)
        if not args.skip_search:
            sizes = [int(s) for s in args.sizes.split(",") if s]
            result["search"] = search_figures(work, sizes, args.queries, args.vector_dims)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
