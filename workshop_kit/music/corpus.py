"""The melody model's training set: folk tunes that the ``music21`` package ships, as tokens.

Three collections of the music21 corpus, all in ABC notation inside the installed package (see :data:`COLLECTIONS`
for their provenance and licences):

- the **Essen folksong collection** (about 8,500 tunes, mostly German and Central European, with Chinese Han,
  Irish and other songs);
- **O'Neill's Music of Ireland, 1850 Melodies** (1903; about 2,000 tunes);
- **Ryan's Mammoth Collection** of fiddle tunes (Boston, 1883; about 1,000 tunes).

:func:`load_corpus` parses every tune once (a few minutes, with a progress bar), turns it into tokens with
:func:`workshop_kit.music.tokens.encode_stream`, drops tunes that fail to parse or have fewer than
:data:`MIN_NOTES` notes (counted, not hidden), drops exact duplicates (the same tokens), and assigns each tune to
``"train"``, ``"validation"`` or ``"test"`` by a hash of its id, so the split never depends on the order or the
number of tunes. The result is cached in a gzip JSON file under :func:`cache_dir`; a second call reads it in a
second.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ParameterError
from ..files import cache_dir
from . import tokens as tok

__all__ = [
    "COLLECTIONS",
    "MIN_NOTES",
    "SPLITS",
    "Tune",
    "Corpus",
    "cache_dir",
    "corpus_files",
    "split_of",
    "parse_abc_file",
    "load_corpus",
]

#: Tunes with fewer notes than this are left out.
MIN_NOTES = 8

#: Split names and the share of tunes (out of 100 hash buckets) each gets.
SPLITS = {"train": 90, "validation": 5, "test": 5}

#: Where each collection lives inside ``music21/corpus`` and what it is.
COLLECTIONS: dict[str, dict[str, str]] = {
    "essen": {
        "folder": "essenFolksong",
        "title": "Essen folksong collection (EsAC), ABC edition",
        "origin": "Folk songs collected and encoded in the Essen Associative Code under Helmut Schaffrath "
                  "(continued by Ewa Dahlig-Turek); mostly German and Central European songs, with Chinese (Han), "
                  "Irish, Luxembourgish and other songs. ABC conversion by Seymour Shlien.",
        "licence": "The traditional melodies are in the public domain. The encodings are distributed with music21 "
                   "by permission of Ewa Dahlig-Turek and Seymour Shlien for non-commercial distribution and use; "
                   "music21's licence file adds that the database's legal status is unclear, as many people "
                   "entered the data (music21/corpus/essenFolksong/license.txt; https://www.esac-data.org).",
    },
    "oneills1850": {
        "folder": "oneills1850",
        "title": "O'Neill's Music of Ireland: 1850 Melodies (Chicago, 1903)",
        "origin": "Irish dance tunes and airs collected by Francis O'Neill; ABC transcription by Norbert Paap.",
        "licence": "Public domain (published 1903); transcription distributed with music21 "
                   "(music21/corpus/license.txt).",
    },
    "ryansMammoth": {
        "folder": "ryansMammoth",
        "title": "Ryan's Mammoth Collection of fiddle tunes (Boston: Elias Howe, 1883)",
        "origin": "Reels, jigs, hornpipes, clogs and airs of the Irish, Scottish and American fiddle repertoire; "
                  "ABC transcriptions contributed by Ray Davies, John Chambers, Bob Puckette, John Walsh and others.",
        "licence": "Public domain (published 1883); transcriptions distributed with music21 "
                   "(music21/corpus/license.txt).",
    },
}



@dataclass(frozen=True)
class Tune:
    """One tune of the corpus.

    Attributes
    ----------
    id : str
        ``"<collection>/<file stem>#<ABC reference number>"``.
    collection : str
        Key of :data:`COLLECTIONS`.
    split : str
        ``"train"``, ``"validation"`` or ``"test"``.
    tokens : tuple of str
        From ``<s>`` to ``</s>``.
    """

    id: str
    collection: str
    split: str
    tokens: tuple[str, ...]


@dataclass
class Corpus:
    """The tokenised tunes, and what was left out on the way."""

    tunes: list[Tune]
    skipped: dict[str, int] = field(default_factory=dict)  # collection -> tunes that did not parse
    too_short: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    path: str | None = None

    def split(self, name: str) -> list[Tune]:
        """Tunes of one split."""
        if name not in SPLITS:
            raise ParameterError("split", name, list(SPLITS))
        return [t for t in self.tunes if t.split == name]

    def summary(self) -> dict:
        """Counts per split and collection, for metrics and the model card."""
        counts: dict[str, dict[str, int]] = {}
        for t in self.tunes:
            row = counts.setdefault(t.collection, {s: 0 for s in SPLITS})
            row[t.split] += 1
        return {
            "tunes": len(self.tunes),
            "tokens": {s: sum(len(t.tokens) for t in self.tunes if t.split == s) for s in SPLITS},
            "per_collection": counts,
            "skipped_unparsable": dict(self.skipped),
            "skipped_too_short": self.too_short,
            "duplicates_dropped": self.duplicates,
        }


def _music21_corpus_root() -> Path:
    import music21.corpus

    return Path(music21.corpus.__file__).resolve().parent


def corpus_files(collections: tuple[str, ...] | None = None) -> list[tuple[str, Path]]:
    """``(collection, path)`` of every ABC file of the collections, sorted (test files of the Essen set excluded)."""
    names = tuple(COLLECTIONS) if collections is None else collections
    root = _music21_corpus_root()
    out = []
    for name in names:
        if name not in COLLECTIONS:
            raise ParameterError("collection", name, list(COLLECTIONS))
        folder = root / COLLECTIONS[name]["folder"]
        for path in sorted(folder.glob("*.abc")):
            if name == "essen" and path.stem.startswith("test"):
                continue  # music21's parser test files, some duplicating tunes of the collection
            out.append((name, path))
    return out


def split_of(tune_id: str) -> str:
    """The split of a tune, from the SHA-1 of its id: fixed whatever else is in the corpus.

    >>> split_of("essen/altdeu10#1"), split_of("essen/altdeu10#2")
    ('test', 'train')
    """
    bucket = int.from_bytes(hashlib.sha1(tune_id.encode("utf-8")).digest()[:4], "big") % 100
    edge = 0
    for name, share in SPLITS.items():
        edge += share
        if bucket < edge:
            return name
    return "test"  # pragma: no cover - shares add up to 100


def _signature(files: list[tuple[str, Path]]) -> str:
    import music21

    digest = hashlib.sha1()
    digest.update(f"tokens-v{tok.TOKENIZER_VERSION};music21-{music21.__version__};min{MIN_NOTES}".encode())
    for name, path in files:
        digest.update(f"{name}/{path.name}:{path.stat().st_size}".encode())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _without_beaming():
    """Skip music21's beaming of parsed ABC parts (notation only, and 70 % of the parsing time); restored after."""
    from music21 import stream

    original = stream.Part.__dict__.get("makeBeams")

    def no_beams(self, *args, **kwargs):
        return None if kwargs.get("inPlace") else self

    stream.Part.makeBeams = no_beams
    try:
        yield
    finally:
        if original is None:
            del stream.Part.makeBeams
        else:
            stream.Part.makeBeams = original


def parse_abc_file(path: Path):
    """Yield ``(reference number, score or exception)`` for each tune of an ABC file."""
    from music21 import abcFormat
    from music21.abcFormat import translate

    handle = abcFormat.ABCFile()
    handle.open(path)
    try:
        handler = handle.read()
    finally:
        handle.close()
    if handler.definesReferenceNumbers():
        parts = sorted(handler.splitByReferenceNumber().items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
    else:
        parts = [(1, handler)]
    for number, sub in parts:
        try:
            yield number, translate.abcToStreamScore(sub)
        except Exception as exc:  # noqa: BLE001 - music21 raises many kinds of errors on bad ABC; each is counted
            yield number, exc


def _count_tunes(path: Path) -> int:
    """Tunes in an ABC file, from its ``X:`` lines (for the progress bar)."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return sum(1 for line in fh if line.startswith("X:"))


def _build(files: list[tuple[str, Path]], progress: bool) -> Corpus:
    from tqdm.auto import tqdm

    start = time.perf_counter()
    tunes: list[Tune] = []
    skipped = {name: 0 for name in {n for n, _ in files}}
    too_short = duplicates = 0
    seen: set[tuple[str, ...]] = set()
    expected = sum(max(1, _count_tunes(path)) for _, path in files)
    bar = tqdm(total=expected, desc="Parsing folk tunes", unit="tune", disable=not progress)
    with warnings.catch_warnings(), _without_beaming():
        warnings.simplefilter("ignore")  # music21 warns on every odd ABC line
        for name, path in files:
            bar.set_postfix(kept=len(tunes), skipped=sum(skipped.values()), refresh=False)
            try:
                scores = list(parse_abc_file(path))
            except Exception:  # noqa: BLE001 - a whole file that music21 cannot read: count it as one skip
                skipped[name] += 1
                bar.update(max(1, _count_tunes(path)))
                continue
            for number, score in scores:
                bar.update(1)
                if isinstance(score, Exception):
                    skipped[name] += 1
                    continue
                try:
                    words = tuple(tok.encode_stream(score))
                except Exception:  # noqa: BLE001 - malformed tunes (no notes, odd measures) are counted, not fatal
                    skipped[name] += 1
                    continue
                if sum(tok.kind(w) == "pitch" for w in words) < MIN_NOTES:
                    too_short += 1
                    continue
                if words in seen:
                    duplicates += 1
                    continue
                seen.add(words)
                tune_id = f"{name}/{path.stem}#{number}"
                tunes.append(Tune(tune_id, name, split_of(tune_id), words))
    bar.close()
    return Corpus(tunes, skipped, too_short, duplicates, time.perf_counter() - start)


def load_corpus(*, collections: tuple[str, ...] | None = None, cache: str | os.PathLike | None = None,
                refresh: bool = False, progress: bool = True) -> Corpus:
    """The tokenised folk-tune corpus, parsed once and then read from the cache.

    Parameters
    ----------
    collections : tuple of str, optional
        Keys of :data:`COLLECTIONS` (default: all three).
    cache : path, optional
        Folder for the cache file (default: :func:`cache_dir`).
    refresh : bool
        Parse again even when a cache file exists.
    progress : bool
        Show a progress bar while parsing.

    Returns
    -------
    Corpus
    """
    files = corpus_files(collections)
    folder = Path(cache).expanduser() if cache is not None else cache_dir()
    path = folder / f"melody-corpus-{_signature(files)}.json.gz"
    if path.is_file() and not refresh:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        tunes = [Tune(t["id"], t["collection"], t["split"], tuple(t["tokens"].split())) for t in data["tunes"]]
        return Corpus(tunes, data["skipped"], data["too_short"], data["duplicates"], data["seconds"], str(path))
    corpus = _build(files, progress)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as fh:
        json.dump({
            "tokenizer_version": tok.TOKENIZER_VERSION,
            "tunes": [{"id": t.id, "collection": t.collection, "split": t.split, "tokens": " ".join(t.tokens)}
                      for t in corpus.tunes],
            "skipped": corpus.skipped, "too_short": corpus.too_short, "duplicates": corpus.duplicates,
            "seconds": corpus.seconds,
        }, fh)
    os.replace(tmp, path)
    corpus.path = str(path)
    return corpus
