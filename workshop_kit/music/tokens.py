"""Tokens for monophonic melodies that forget the key and the scale they were written in.

A melody becomes a short sentence of words from a small, fixed vocabulary (:data:`VOCAB`, 143 words):

``<s>`` then a meter such as ``M:6/8``, then for every note a *pitch* word followed by a *duration* word, ``|`` at
every bar line, and ``</s>`` at the end::

    <s> M:2/4 P0:5 D:1 P0:5 D:1 | P0:6 D:1/2 P0:5 D:1/2 P0:4 D:1 | ...

A pitch word ``P{octave}:{degree}{alteration}`` holds

- the **scale degree**, ``1`` (the tonic) to ``7``, counted on the note names from the tune's tonic;
- an **alteration** mark, ``#`` or ``b``, for a chromatic note: a note a semitone above or below the degree as the
  tune's key signature spells it (no mark for a note of the key);
- the **octave**, ``-2`` to ``+2``, counted from the tonic at or below the tune's last note (which, in folk tunes, is
  nearly always the tonic itself).

A rest is ``R`` followed by its duration. Durations are in beats (one beat = one quarter note) and rounded to the
nearest of :data:`DURATIONS`. Nothing here depends on the tonic's pitch or on the intervals of the scale, so the same
tune in two keys gives the same tokens, and :func:`decode` output can be played in *any* scale with :func:`place`:
a 7-note scale (major, Hijaz, Bayati ...) takes the degrees as they are; a scale of ``n`` other notes (the 5-note
Gnawa pentatonic) takes degree ``d`` to its step ``round((d - 1) * n / 7)``, so that on a minor pentatonic
1→1, 2 and 3→♭3, 4→4, 5→5, 6 and 7→♭7.

The module imports nothing heavy: music21 and pretty_midi are imported inside the functions that read their objects.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import NamedTuple

from ..errors import ParameterError
from ..i18n import Msg

__all__ = [
    "BOS",
    "EOS",
    "PAD",
    "BAR",
    "REST",
    "DURATIONS",
    "METERS",
    "OCTAVES",
    "VOCAB",
    "TOKEN_TO_ID",
    "TOKENIZER_VERSION",
    "Key",
    "MelodyNote",
    "parse_key",
    "encode",
    "encode_stream",
    "encode_events",
    "encode_note_names",
    "decode",
    "meter_of",
    "place",
    "ids",
    "tokens_of",
    "kind",
]

#: Bumped whenever the vocabulary or the encoding rules change: cached corpora and saved models record it.
TOKENIZER_VERSION = 1

PAD, BOS, EOS, BAR, REST = "<pad>", "<s>", "</s>", "|", "R"

#: Octaves a pitch word can name, relative to the tune's reference tonic; notes beyond are folded in.
OCTAVES = (-2, -1, 0, 1, 2)

#: Duration classes in beats (quarter notes): every note or rest is rounded to the nearest (on a log scale).
DURATIONS: tuple[Fraction, ...] = tuple(Fraction(x) for x in (
    "1/8", "1/6", "1/4", "1/3", "3/8", "1/2", "2/3", "3/4", "1", "5/4", "4/3", "3/2", "7/4", "2", "5/2", "3",
    "7/2", "4", "5", "6", "8",
))

#: Meters with a word of their own; any other time signature becomes ``M:other``.
METERS = ("2/4", "3/4", "4/4", "2/2", "3/2", "6/4", "3/8", "6/8", "9/8", "12/8", "5/4", "other")

_DEGREE_NAMES = ("1", "2", "3", "4", "5", "6", "7")
_ALTER_MARK = {-1: "b", 0: "", 1: "#"}
_MARK_ALTER = {"b": -1, "": 0, "#": 1}
_LETTERS = "CDEFGAB"
_LETTER_PC = (0, 2, 4, 5, 7, 9, 11)
_MAJOR = (0, 2, 4, 5, 7, 9, 11)


def _duration_word(d: Fraction) -> str:
    return f"D:{d.numerator}" if d.denominator == 1 else f"D:{d.numerator}/{d.denominator}"


def _pitch_word(octave: int, degree: int, alter: int) -> str:
    return f"P{octave:d}:{_DEGREE_NAMES[degree]}{_ALTER_MARK[alter]}"


def _build_vocab() -> tuple[str, ...]:
    words = [PAD, BOS, EOS, BAR, REST]
    words += [f"M:{m}" for m in METERS]
    words += [_duration_word(d) for d in DURATIONS]
    words += [_pitch_word(o, d, a) for o in OCTAVES for d in range(7) for a in (-1, 0, 1)]
    return tuple(words)


#: Every token, in id order (``VOCAB[i]`` is the word of id ``i``).
VOCAB: tuple[str, ...] = _build_vocab()
#: Word → id.
TOKEN_TO_ID: dict[str, int] = {w: i for i, w in enumerate(VOCAB)}

_PITCH_RE = re.compile(r"^P(-?\d):([1-7])([#b]?)$")
_NOTE_NAME_RE = re.compile(r"^([A-Ga-g])(#{1,2}|b{1,2}|-{1,2}|♯|♭)?(-?\d)$")
_DURATION_VALUE = {_duration_word(d): d for d in DURATIONS}
_LOG_DURATIONS = [math.log(float(d)) for d in DURATIONS]


class MelodyNote(NamedTuple):
    """One decoded note or rest, free of key and scale.

    Attributes
    ----------
    degree : int or None
        Scale degree, 1 (tonic) to 7; ``None`` for a rest.
    octave : int
        Octave relative to the reference tonic (``0`` is the tonic's own octave).
    duration : float
        Length in beats (quarter notes).
    alteration : int
        ``-1``, ``0`` or ``+1``: a chromatic note a semitone below or above the degree; ``0`` for a note of the key.
    bar : int
        Bar number, counted from 0 (the first bar may be a pickup).
    """

    degree: int | None
    octave: int
    duration: float
    alteration: int = 0
    bar: int = 0

    @property
    def is_rest(self) -> bool:
        return self.degree is None


class Key(NamedTuple):
    """A tonic spelled as a note name, and the alteration (in semitones) the key gives each of the letters C..B.

    ``Key(tonic_letter=1, tonic_alter=0, signature=(1, 0, 0, 1, 0, 0, 0))`` is D with two sharps (C♯ and F♯):
    D major. Built by :func:`parse_key`.
    """

    tonic_letter: int  # index in "CDEFGAB"
    tonic_alter: int
    signature: tuple[int, ...]  # alteration of C, D, E, F, G, A, B

    @property
    def tonic_pc(self) -> int:
        return (_LETTER_PC[self.tonic_letter] + self.tonic_alter) % 12

    def steps(self) -> tuple[int, ...]:
        """Semitones from the tonic of degrees 1..7 as the key signature spells them."""
        out = []
        for d in range(7):
            letter = (self.tonic_letter + d) % 7
            pc = _LETTER_PC[letter] + self.signature[letter]
            out.append((pc - self.tonic_pc) % 12)
        return tuple(out)


def _signature_from_steps(tonic_letter: int, tonic_alter: int, steps: Sequence[float]) -> tuple[int, ...]:
    tonic_pc = _LETTER_PC[tonic_letter] + tonic_alter
    sig = [0] * 7
    for d in range(7):
        letter = (tonic_letter + d) % 7
        want = tonic_pc + int(round(steps[d]))
        alter = (want - _LETTER_PC[letter]) % 12
        sig[letter] = alter - 12 if alter > 6 else alter
    return tuple(sig)


_MODES = {
    "major": (0, 2, 4, 5, 7, 9, 11), "ionian": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10), "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10), "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11), "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
}


def _parse_note_letter(text: str, name: str) -> tuple[int, int]:
    m = re.match(r"^([A-Ga-g])(#{1,2}|b{1,2}|-{1,2}|♯|♭)?$", text.strip())
    if not m:
        raise ParameterError(name, text, Msg("allowed.note_name"))
    letter = _LETTERS.index(m.group(1).upper())
    acc = m.group(2) or ""
    alter = acc.count("#") + acc.count("♯") - acc.count("b") - acc.count("-") - acc.count("♭")
    return letter, alter


def parse_key(key: object, *, scale: object = None) -> Key:
    """Return a :class:`Key` from a description.

    Parameters
    ----------
    key : str, Key or music21 key
        A tonic and an optional mode, ``"D"``, ``"D minor"``, ``"A dorian"``, ``"F# major"``; a :class:`Key`;
        or a ``music21.key.Key`` / ``KeySignature`` with a tonic.
    scale : str, Scale or sequence of float, optional
        When given, the degrees follow this 7-note scale instead of the mode named in ``key``: a name of
        :data:`workshop_kit.music.theory.SCALES`, a ``Scale``, or seven semitone steps. Quarter tones are rounded
        to the nearest semitone (they only decide which note name is "in the key").
    """
    if isinstance(key, Key):
        return key
    if not isinstance(key, str):
        tonic = getattr(key, "tonic", None)
        if tonic is None:
            raise ParameterError("key", key, Msg("allowed.key_name"))
        mode = getattr(key, "mode", "major") or "major"
        key = f"{tonic.name} {mode}"
    words = key.split()  # music21 writes flats with "-" ("B- major"): accepted as a note name
    if not words:
        raise ParameterError("key", key, Msg("allowed.key_name"))
    letter, alter = _parse_note_letter(words[0], "key")
    mode = words[1].lower() if len(words) > 1 else "major"
    if scale is not None:
        steps = _scale_steps(scale)
        if len(steps) != 7:
            steps = _MAJOR if mode not in _MODES else _MODES[mode]
    else:
        if mode not in _MODES:
            raise ParameterError("key", key, Msg("allowed.tonic_mode", modes=sorted(_MODES)))
        steps = _MODES[mode]
    return Key(letter, alter, _signature_from_steps(letter, alter, steps))


def _scale_steps(scale: object) -> tuple[float, ...]:
    if isinstance(scale, str):
        from .theory import SCALES

        if scale not in SCALES:
            raise ParameterError("scale", scale, sorted(SCALES))
        return tuple(SCALES[scale].steps)
    steps = getattr(scale, "steps", scale)
    try:
        steps = tuple(float(s) for s in steps)
    except TypeError:
        raise ParameterError("scale", scale, Msg("allowed.scale_spec")) from None
    if not steps or steps[0] != 0 or any(b <= a for a, b in zip(steps, steps[1:])) or steps[-1] >= 12:
        raise ParameterError("scale", scale, Msg("allowed.scale_steps"))
    return steps


def _quantize_duration(ql: float) -> Fraction:
    x = math.log(max(float(ql), 1e-3))
    best = min(range(len(DURATIONS)), key=lambda i: abs(_LOG_DURATIONS[i] - x))
    return DURATIONS[best]


def _meter_word(meter: object) -> str:
    if meter is None:
        return "M:other"
    text = getattr(meter, "ratioString", meter)
    text = str(text).strip()
    return f"M:{text}" if text in METERS else "M:other"


# An event is (diatonic_number, alter, quarter_length, bar) with diatonic_number None for a rest.
# diatonic_number counts letters: C0 = 0, D0 = 1, ..., C4 = 28.
_Event = tuple


def _diatonic(letter: int, octave: int) -> int:
    return octave * 7 + letter


_REFERENCES = ("last", "median")


def _events_to_tokens(events: Sequence[_Event], key: Key, meter: object, reference: str = "last") -> list[str]:
    if reference not in _REFERENCES:
        raise ParameterError("reference", reference, _REFERENCES)
    tokens = [BOS, _meter_word(meter)]
    pitched = [e[0] for e in events if e[0] is not None]
    if pitched:
        # the reference tonic: the tonic at or below the last note (or the median note), counted in letters
        anchor = pitched[-1] if reference == "last" else sorted(pitched)[(len(pitched) - 1) // 2]
        ref = anchor - ((anchor - key.tonic_letter) % 7)
    else:
        ref = 0
    bar = events[0][3] if events else 0
    for dn, alter, ql, ev_bar in events:
        if ev_bar != bar:
            tokens.append(BAR)
            bar = ev_bar
        if ql <= 0:
            continue
        if dn is None:
            tokens.append(REST)
        else:
            steps_from_ref = dn - ref
            octave, degree = divmod(steps_from_ref, 7)
            octave = max(OCTAVES[0], min(OCTAVES[-1], octave))
            letter = dn % 7
            rel = alter - key.signature[letter]
            rel = max(-1, min(1, rel))
            tokens.append(_pitch_word(octave, degree, rel))
        tokens.append(_duration_word(_quantize_duration(ql)))
    tokens.append(EOS)
    return tokens


def _stream_key(part) -> Key | None:
    """Key of a music21 part: tonic = last note, if it belongs to the key signature; else music21's analysis."""
    from music21 import key as m21key

    sig = None
    for ks in part.recurse().getElementsByClass(m21key.KeySignature):
        sig = ks
        break
    last = None
    for n in part.recurse().notes:
        last = n
    if last is None:
        return None
    if last.isChord:
        last = last.sortAscending().notes[0]
    pitch = last.pitch
    letter = _LETTERS.index(pitch.step)
    alter = int(round(pitch.alter))
    if sig is not None:
        signature = tuple(int(round(sig.accidentalByStep(step).alter)) if sig.accidentalByStep(step) else 0
                          for step in _LETTERS)
        if signature[letter] == alter:
            return Key(letter, alter, signature)
    analysed = part.analyze("key")
    return parse_key(analysed)


def encode_stream(stream, *, key: object = None) -> list[str]:
    """Tokens of the first part of a music21 score, part or measure stream.

    Parameters
    ----------
    stream : music21.stream.Stream
        A monophonic melody; of a chord, the top note is kept; of several voices, the first; grace notes are
        skipped and tied notes merged.
    key : str or Key, optional
        The key to count degrees in. By default the tonic is the last note when it belongs to the key signature,
        and the key found by music21's analysis (Krumhansl–Schmuckler) otherwise.
    """
    from music21 import meter as m21meter
    from music21 import stream as m21stream

    parts = list(stream.parts) if hasattr(stream, "parts") and len(stream.parts) else [stream]
    part = parts[0]
    measures = list(part.getElementsByClass(m21stream.Measure))
    units = measures if measures else [part]
    ts = None
    for t in part.recurse().getElementsByClass(m21meter.TimeSignature):
        ts = t
        break
    events: list[list] = []
    tie_open = False
    for bar, unit in enumerate(units):
        holder = unit.voices[0] if unit.hasVoices() else unit
        for el in holder.notesAndRests:
            if el.duration.isGrace:
                continue
            ql = float(el.duration.quarterLength)
            if el.isRest:
                events.append([None, 0, ql, bar])
                tie_open = False
                continue
            pitch = max(el.pitches, key=lambda p: p.ps) if el.isChord else el.pitch
            tie = el.tie.type if el.tie is not None else None
            if tie_open and tie in ("stop", "continue") and events and events[-1][0] is not None:
                events[-1][2] += ql
            else:
                letter = _LETTERS.index(pitch.step)
                events.append([_diatonic(letter, pitch.octave if pitch.octave is not None else 4),
                               int(round(pitch.alter)), ql, bar])
            tie_open = tie in ("start", "continue")
    if key is None:
        k = _stream_key(part)
        if k is None:
            raise ParameterError("stream", stream, Msg("allowed.melody_note"))
    else:
        k = parse_key(key)
    return _events_to_tokens([tuple(e) for e in events], k, ts)


def _spell(midi: float, key: Key) -> tuple[int, int]:
    """Diatonic number and alteration of a MIDI pitch in ``key``: a note of the key takes the key's spelling; a
    chromatic one between degrees ``d`` and ``d + 1`` is spelled as ``d + 1`` flattened, except between the 4th and
    the 5th, where it is the 4th sharpened (♭2, ♭3, ♯4, ♭6, ♭7, and ♭1 = 7th raised)."""
    semis = int(round(midi))
    steps = key.steps()
    rel = (semis - key.tonic_pc) % 12
    if rel in steps:
        degree, alter_rel = steps.index(rel), 0
    else:
        # rel lies a semitone from a degree: find the lower neighbour
        lower = max(d for d in range(7) if steps[d] < rel) if any(s < rel for s in steps) else 6
        upper = (lower + 1) % 7
        if lower == 3:  # between 4th and 5th: sharp fourth
            degree, alter_rel = 3, rel - steps[3]
        else:
            degree, alter_rel = upper, rel - (steps[upper] if upper else 12)
        alter_rel = max(-1, min(1, alter_rel))
    letter = (key.tonic_letter + degree) % 7
    alter = key.signature[letter] + alter_rel
    # octave number of the written note: the pitch minus its alteration gives the natural letter's MIDI key
    natural = semis - alter
    octave = (natural - _LETTER_PC[letter]) // 12 - 1
    return _diatonic(letter, octave), alter


def encode_events(events: Iterable[tuple[float | None, float]], *, key: object, meter: str | None = None,
                  scale: object = None, reference: str = "last") -> list[str]:
    """Tokens of a melody given as ``(midi_pitch, beats)`` pairs (``midi_pitch=None`` for a rest).

    Parameters
    ----------
    events : iterable of (float or None, float)
        MIDI pitch and length in beats (quarter notes) of each note, in order.
    key : str or Key
        The key to count degrees in, e.g. ``"D minor"``; see :func:`parse_key`.
    meter : str, optional
        Time signature such as ``"6/8"``; with one, bar lines are added every bar (from the first note).
    scale : optional
        A 7-note scale overriding the mode of ``key``, see :func:`parse_key`.
    reference : {"last", "median"}
        Octave 0 starts at the tonic at or below the last note (right for whole tunes, which end on the tonic),
        or at or below the median note (right for the opening motif of a tune).
    """
    k = parse_key(key, scale=scale)
    bar_length = None
    if meter is not None:
        try:
            num, den = (int(x) for x in str(meter).split("/"))
            bar_length = Fraction(num * 4, den)
        except ValueError:
            raise ParameterError("meter", meter, Msg("allowed.meter")) from None
        if bar_length <= 0:
            raise ParameterError("meter", meter, Msg("allowed.meter"))
    out = []
    onset = Fraction(0)
    for item in events:
        try:
            pitch, beats = item
            beats = float(beats)
        except (TypeError, ValueError):
            raise ParameterError("events", item, Msg("allowed.events")) from None
        if not beats > 0 or math.isinf(beats):
            raise ParameterError("beats", beats, Msg("allowed.beats"))
        bar = int(onset // bar_length) if bar_length else 0
        if pitch is None:
            out.append((None, 0, beats, bar))
        else:
            dn, alter = _spell(float(pitch), k)
            out.append((dn, alter, beats, bar))
        onset += Fraction(beats).limit_denominator(48)
    return _events_to_tokens(out, k, meter, reference)


def encode_note_names(text: str, *, key: object, scale: object = None, beats: float = 1.0,
                      reference: str = "median") -> list[str]:
    """Tokens of a melody written as note names with octaves, e.g. ``"D4 E4 F4 G4"`` (each ``beats`` long).

    Accidentals: ``#``, ``b`` (or music21's ``-``), doubled for double ones. ``r`` or ``R`` is a rest.
    Unknown names raise :class:`~workshop_kit.errors.ParameterError` naming the bad note. ``reference`` is as in
    :func:`encode_events`; the default suits a motif.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("motif", text, Msg("allowed.motif_notes"))
    k = parse_key(key, scale=scale)
    events = []
    for word in text.replace(",", " ").split():
        if word in ("r", "R"):
            events.append((None, 0, beats, 0))
            continue
        m = _NOTE_NAME_RE.match(word)
        if not m:
            raise ParameterError("motif", word, Msg("allowed.motif_words"),
                                 reason=Msg("reason.not_note_name", word=word))
        letter = _LETTERS.index(m.group(1).upper())
        acc = m.group(2) or ""
        alter = acc.count("#") + acc.count("♯") - acc.count("b") - acc.count("-") - acc.count("♭")
        events.append((_diatonic(letter, int(m.group(3))), alter, beats, 0))
    return _events_to_tokens(events, k, None, reference)


def encode(melody, *, key: object = None, meter: str | None = None, scale: object = None) -> list[str]:
    """Tokens of a melody: a music21 stream, a list of ``(midi_pitch, beats)`` pairs, or note names.

    Parameters
    ----------
    melody : music21.stream.Stream, sequence of (float or None, float), or str
        The melody. See :func:`encode_stream`, :func:`encode_events` and :func:`encode_note_names`.
    key : str or Key, optional
        Needed for pairs and note names; optional for a stream (found from it otherwise).
    meter : str, optional
        Time signature for pairs, e.g. ``"3/4"``.
    scale : optional
        A 7-note scale giving the degrees of ``key`` (default: the mode named in ``key``).

    Returns
    -------
    list of str
        Words of :data:`VOCAB`, from ``<s>`` to ``</s>``.

    Examples
    --------
    >>> encode([(62, 1), (64, 1), (66, 2)], key="D major", meter="2/4")
    ['<s>', 'M:2/4', 'P0:1', 'D:1', 'P0:2', 'D:1', '|', 'P0:3', 'D:2', '</s>']
    >>> encode([(60, 1), (62, 1), (64, 2)], key="C major", meter="2/4")
    ['<s>', 'M:2/4', 'P0:1', 'D:1', 'P0:2', 'D:1', '|', 'P0:3', 'D:2', '</s>']
    """
    if isinstance(melody, str):
        if key is None:
            raise ParameterError("key", key, Msg("allowed.key_for_names"))
        return encode_note_names(melody, key=key, scale=scale)
    if hasattr(melody, "recurse"):
        return encode_stream(melody, key=key)
    if key is None:
        raise ParameterError("key", key, Msg("allowed.key_for_midi"))
    return encode_events(melody, key=key, meter=meter, scale=scale)


def kind(token: str) -> str:
    """The class of a word: ``"pitch"``, ``"rest"``, ``"duration"``, ``"bar"``, ``"meter"`` or ``"special"``."""
    if token.startswith("P"):
        return "pitch"
    if token == REST:
        return "rest"
    if token.startswith("D:"):
        return "duration"
    if token == BAR:
        return "bar"
    if token.startswith("M:"):
        return "meter"
    return "special"


def meter_of(tokens: Sequence[str]) -> str | None:
    """The meter named in ``tokens`` (``"6/8"``), or None."""
    for t in tokens:
        if t.startswith("M:"):
            return None if t == "M:other" else t[2:]
    return None


def decode(tokens: Sequence[str] | Sequence[int]) -> list[MelodyNote]:
    """Notes and rests of a token sequence (words or ids), free of key and scale.

    A pitch or rest word takes the duration word that follows it; a word out of place (a pitch without a duration,
    a duration without a pitch) is skipped, so that any sequence decodes. Decoding stops at ``</s>``.
    """
    words = tokens_of(tokens)
    out: list[MelodyNote] = []
    bar = 0
    pending: tuple[int | None, int, int] | None = None
    for w in words:
        if w == EOS:
            break
        if w == BAR:
            bar += 1
            pending = None
            continue
        if w == REST:
            pending = (None, 0, 0)
            continue
        m = _PITCH_RE.match(w)
        if m:
            pending = (int(m.group(2)), int(m.group(1)), _MARK_ALTER[m.group(3)])
            continue
        if w in _DURATION_VALUE:
            if pending is not None:
                degree, octave, alter = pending
                out.append(MelodyNote(degree, octave, float(_DURATION_VALUE[w]), alter, bar))
            pending = None
            continue
        pending = None
    return out


def place(notes: Iterable[MelodyNote], *, scale: object = "major", tonic: float = 60.0,
          chromatic: str = "snap") -> list[tuple[float | None, float]]:
    """Play decoded notes in a scale: a list of ``(midi_pitch, beats)`` (``None`` for a rest).

    Parameters
    ----------
    notes : iterable of MelodyNote
        From :func:`decode`.
    scale : str, Scale or sequence of float
        A name of :data:`workshop_kit.music.theory.SCALES`, a ``Scale``, or semitone steps (quarter tones allowed).
        Seven steps: degree ``d`` is step ``d``. Any other number ``n``: degree ``d`` goes to step
        ``round((d - 1) * n / 7)``.
    tonic : float
        MIDI pitch of the reference tonic (octave 0, degree 1), e.g. ``62`` for D4.
    chromatic : {"snap", "keep"}
        ``"snap"`` plays chromatic notes on their degree, so every note is in the scale; ``"keep"`` moves them by
        their alteration (one semitone).

    Examples
    --------
    >>> place(decode(["P0:1", "D:1", "P0:3", "D:1", "P1:1", "D:2"]), scale=(0, 3, 5, 7, 10), tonic=62)
    [(62.0, 1.0), (65.0, 1.0), (74.0, 2.0)]
    """
    steps = _scale_steps(scale)
    if chromatic not in ("snap", "keep"):
        raise ParameterError("chromatic", chromatic, ["snap", "keep"])
    try:
        tonic = float(tonic)
    except (TypeError, ValueError):
        raise ParameterError("tonic", tonic, Msg("allowed.midi_pitch")) from None
    n = len(steps)
    out = []
    for note in notes:
        if note.degree is None:
            out.append((None, float(note.duration)))
            continue
        d = note.degree - 1
        index = d if n == 7 else int(math.floor(d * n / 7 + 0.5))
        wrap, index = divmod(index, n)
        pitch = tonic + 12.0 * (note.octave + wrap) + steps[index]
        if chromatic == "keep":
            pitch += note.alteration
        out.append((pitch, float(note.duration)))
    return out


def ids(tokens: Sequence[str]) -> list[int]:
    """Ids of words; an unknown word raises :class:`~workshop_kit.errors.ParameterError`."""
    out = []
    for t in tokens:
        if t not in TOKEN_TO_ID:
            raise ParameterError("token", t, Msg("allowed.vocab_words"))
        out.append(TOKEN_TO_ID[t])
    return out


def tokens_of(seq: Sequence[str] | Sequence[int]) -> list[str]:
    """Words of a sequence of ids (or words, returned as they are)."""
    out = []
    for t in seq:
        if isinstance(t, str):
            out.append(t)
        else:
            i = int(t)
            if not 0 <= i < len(VOCAB):
                raise ParameterError("token id", i, Msg("number.span", low=0, high=len(VOCAB) - 1))
            out.append(VOCAB[i])
    return out
