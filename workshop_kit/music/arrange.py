"""The rule-based arranger both music engines share: a piece over a Moroccan rhythm cycle and a maqam scale.

:func:`compose` writes a score of three tracks (:data:`LEAD`, :data:`BASS`, :data:`DRUM_TRACK`): the melody — composed
by the rules below, or a line another engine wrote (the melody model's) — the bass line and the percussion cycle of
the rhythm. :func:`check_piece` checks the options every composing engine shares (scale, rhythm, bars, tempo, tonic)
and :func:`render_piece` plays a score to the length of its bars. The ``rules`` engine (:mod:`workshop_kit.music.rules`)
and the ``melody-model`` engine (:mod:`workshop_kit.music.melody_model`) are both built on it.

How the melody is made
----------------------
- A motif of one bar (two bars for pieces of eight bars or more) is drawn: a rhythm built from cells placed on the
  rhythm's binary or ternary grid, and a contour that moves mostly by step, with an occasional leap that is then
  recovered by a step the other way.
- The piece is a chain of motif-length chunks in question/answer pairs: a question ends on an open degree (the
  second or the fifth), an answer ends on the tonic. Repeats carry small variations (a chunk moved by one degree,
  a note or two changed, a long note split); the third quarter of a longer piece brings a second motif set higher.
- The last bar is a cadence: a stepwise approach and a long tonic.

The bass follows the rhythm's ``bass_style``: a repeated riff for Gnawa (as a guembri plays it), tonic and fifth on
the drum accents for Chaabi, a held tonic drone for Ahidous. Only the ``numpy.random.Generator`` handed to
:func:`compose` is used, so the same seed gives the same score, note for note.
"""

from __future__ import annotations

import numpy as np

from ..validation import check_choice, check_float, check_int
from .render import render
from .score import Score
from .theory import DRUMS, INSTRUMENTS, RHYTHMS, SCALES, TONICS, Rhythm, Scale

__all__ = ["LEAD", "BASS", "DRUM_TRACK", "compose", "check_piece", "render_piece"]

#: The names of the score's tracks: the melody, the bass line and the percussion.
LEAD, BASS, DRUM_TRACK = "lead", "bass", "percussion"


# --------------------------------------------------------------------------------------------- melody material
def _cells(rhythm: Rhythm, pulse_seconds: float) -> tuple[list[list[int]], np.ndarray, list[list[int]], np.ndarray]:
    """One-beat and two-beat rhythm cells (durations in pulses) with weights that thin out at fast tempos."""
    fast = pulse_seconds < 0.17
    if rhythm.subdivision == 3:
        one = [[3], [2, 1], [1, 1, 1], [1, 2]]
        w1 = [0.40, 0.35, 0.10, 0.15] if fast else [0.25, 0.35, 0.25, 0.15]
        two = [[6], [4, 2], [3, 2, 1]]
        w2 = [0.3, 0.4, 0.3]
    else:
        one = [[2], [1, 1]]
        w1 = [0.6, 0.4] if fast else [0.45, 0.55]
        two = [[4], [3, 1], [2, 1, 1]]
        w2 = [0.3, 0.4, 0.3]
    return one, np.asarray(w1) / np.sum(w1), two, np.asarray(w2) / np.sum(w2)


def _motif_rhythm(rng: np.random.Generator, rhythm: Rhythm, bars: int, pulse_seconds: float) -> list[int]:
    """Durations in pulses filling ``bars`` bars, built beat by beat from cells."""
    one, w1, two, w2 = _cells(rhythm, pulse_seconds)
    durations: list[int] = []
    beats = rhythm.beats * bars
    beat = 0
    while beat < beats:
        if beat % 2 == 0 and beats - beat >= 2 and rng.random() < 0.3:
            durations += two[int(rng.choice(len(two), p=w2))]
            beat += 2
        else:
            durations += one[int(rng.choice(len(one), p=w1))]
            beat += 1
    return durations


_STEPS = np.array([-1, 1, -2, 2, 0, -3, 3, -4, 4])
_STEP_P = np.array([0.32, 0.32, 0.11, 0.11, 0.06, 0.025, 0.025, 0.015, 0.015])


def _contour(rng: np.random.Generator, n: int, start: int, low: int, high: int) -> list[int]:
    """``n`` scale degrees from ``start``: mostly steps, leaps recovered by a step the other way, kept in range."""
    degrees = [start]
    last_step = 0
    for _ in range(n - 1):
        if abs(last_step) >= 3:
            step = -int(np.sign(last_step))
        else:
            step = int(rng.choice(_STEPS, p=_STEP_P))
        d = degrees[-1] + step
        if d < low or d > high:
            d = degrees[-1] - step
            step = -step
        degrees.append(int(np.clip(d, low, high)))
        last_step = step
    return degrees


def _vary(rng: np.random.Generator, durations: list[int], degrees: list[int], low: int, high: int):
    """A varied repeat: often the same, sometimes moved by a degree, a note changed or a long note split."""
    durations, degrees = list(durations), list(degrees)
    choice = rng.random()
    if choice < 0.3:
        pass
    elif choice < 0.55:
        shift = int(rng.choice([-1, 1]))
        half = len(degrees) // 2
        degrees = [int(np.clip(d + shift, low, high)) if i < half else d for i, d in enumerate(degrees)]
    elif choice < 0.8:
        for i in range(len(degrees)):
            if rng.random() < 0.25:
                degrees[i] = int(np.clip(degrees[i] + rng.choice([-1, 1]), low, high))
    else:
        longs = [i for i, d in enumerate(durations) if d >= 2]
        if longs:
            i = int(rng.choice(longs))
            first = durations[i] // 2
            durations[i:i + 1] = [first, durations[i] - first]
            neighbour = int(np.clip(degrees[i] + rng.choice([-1, 1]), low, high))
            degrees[i:i + 1] = [degrees[i], neighbour]
    return durations, degrees


def _end_on(durations: list[int], degrees: list[int], target: int, *, long_pulses: int, low: int, high: int):
    """End a chunk on ``target`` reached by step, its last note at least ``long_pulses`` long."""
    durations, degrees = list(durations), list(degrees)
    while len(durations) > 1 and durations[-1] < long_pulses:
        tail = durations.pop()
        durations[-1] += tail
        degrees.pop()
    degrees[-1] = target
    if len(degrees) > 1 and (degrees[-2] == target or abs(degrees[-2] - target) > 2):
        degrees[-2] = int(np.clip(target + (1 if degrees[-2] >= target else -1), low, high))
    for i in range(len(degrees) - 3, max(-1, len(degrees) - 6), -1):  # smooth the approach: no leap into it
        gap = degrees[i] - degrees[i + 1]
        if abs(gap) > 2:
            degrees[i] = int(np.clip(degrees[i + 1] + 2 * np.sign(gap), low, high))
    return durations, degrees


def _clip_to(durations: list[int], degrees: list[int], pulses: int):
    """Keep the notes that start within ``pulses``, the last one cut to fit."""
    out_d, out_g, pos = [], [], 0
    for d, g in zip(durations, degrees):
        if pos >= pulses:
            break
        out_d.append(min(d, pulses - pos))
        out_g.append(g)
        pos += d
    return out_d, out_g


# ---------------------------------------------------------------------------------------------- composition
def compose(*, scale: Scale, rhythm: Rhythm, bars: int, tempo: float, tonic: int,
            rng: np.random.Generator, lead: list[tuple[float, float, float]] | None = None) -> Score:
    """Compose a score (lead, bass, percussion) from already validated options.

    With ``lead`` — ``(onset, duration, midi_pitch)`` in beats of the rhythm, as another engine wrote them — the
    melody is that line, and the rules arrange the bass and the percussion around it.

    Parameters
    ----------
    scale, rhythm : Scale, Rhythm
        Entries of :data:`~workshop_kit.music.theory.SCALES` and :data:`~workshop_kit.music.theory.RHYTHMS`.
    bars : int
        Number of rhythm cycles.
    tempo : float
        Beats per minute.
    tonic : int
        Pitch class of the tonic (C = 0).
    rng : numpy.random.Generator
        The only source of randomness.
    """
    spb = 60.0 / tempo
    sub = rhythm.subdivision
    pulses_per_bar = rhythm.pulses
    pulse_seconds = spb / sub
    piece_end = bars * rhythm.beats * spb

    def at(bar: int, pulse: float) -> float:
        """Seconds of grid ``pulse`` counted from the start of ``bar`` (may run into the next bars)."""
        extra_bars, in_bar = divmod(pulse, pulses_per_bar)
        return (bar + extra_bars) * rhythm.beats * spb + rhythm.onset(in_bar) * spb

    score = Score(tempo=float(tempo), beats_per_bar=rhythm.beats)
    score.add_track(LEAD, INSTRUMENTS[rhythm.lead].program)
    score.add_track(BASS, INSTRUMENTS[rhythm.bass].program)
    score.add_track(DRUM_TRACK, 0, is_drum=True)

    # ------------------------------------------------------------------ melody
    n = len(scale.steps)
    fifth = scale.degree_of_fifth()
    low, high = -2, n + 2
    lead_tonic = 60 + tonic
    motif_bars = 2 if bars >= 8 else 1
    long_end = sub * 2 if motif_bars == 2 else sub

    def new_motif(start: int):
        durs = _motif_rhythm(rng, rhythm, motif_bars, pulse_seconds)
        return durs, _contour(rng, len(durs), start, low, high)

    # drawn even when a lead is given: the draws that follow (velocities, bass, percussion) stay those of every seed
    motif_a = new_motif(int(rng.choice([0, 2, fifth], p=[0.4, 0.3, 0.3])))
    motif_b = new_motif(int(np.clip(fifth + rng.choice([0, 1, 2]), low, high)))
    chunks = (bars + motif_bars - 1) // motif_bars
    b_section = range(chunks // 2, (3 * chunks) // 4) if chunks >= 4 else range(0)

    for c in range(chunks if lead is None else 0):
        first_bar = c * motif_bars
        chunk_pulses = min(motif_bars, bars - first_bar) * pulses_per_bar
        base = motif_b if c in b_section else motif_a
        durs, degs = base if c in (0, b_section.start if b_section else -1) else _vary(rng, *base, low, high)
        durs, degs = _clip_to(durs, degs, chunk_pulses)
        if c == chunks - 1:
            target = 0 if abs(degs[-1]) <= abs(degs[-1] - n) else n
            durs, degs = _end_on(durs, degs, target, long_pulses=min(2 * sub, chunk_pulses), low=low, high=high)
        elif c % 2 == 0:
            target = int(rng.choice([1, fifth]))
            durs, degs = _end_on(durs, degs, target, long_pulses=min(long_end, chunk_pulses), low=low, high=high)
        else:
            durs, degs = _end_on(durs, degs, 0 if degs[-1] < n - 1 else n, long_pulses=min(long_end, chunk_pulses),
                                 low=low, high=high)
        pos = 0
        for i, (d, g) in enumerate(zip(durs, degs)):
            start = at(first_bar, pos)
            end = at(first_bar, pos + d)
            last = i == len(durs) - 1
            # a breath after a phrase ending, legato inside a phrase
            length = (end - start) * (0.8 if last and c != chunks - 1 else 0.95)
            accent = 12 if pos % sub == 0 else 0
            accent += 8 if pos % pulses_per_bar == 0 else 0
            velocity = int(np.clip(72 + accent + rng.integers(-6, 7), 40, 118))
            score.add(LEAD, start, length, scale.pitch(g, lead_tonic), velocity)
            pos += d

    for onset, length, pitch in lead or ():
        start = onset * spb
        on_beat = abs(onset - round(onset)) < 1e-6
        accent = (12 if on_beat else 0) + (8 if on_beat and round(onset) % rhythm.beats == 0 else 0)
        velocity = int(np.clip(72 + accent + rng.integers(-6, 7), 40, 118))
        score.add(LEAD, start, length * spb * 0.95, pitch, velocity)

    # ------------------------------------------------------------------ bass
    bass_tonic = 36 + tonic
    if rhythm.bass_style == "ostinato":
        onsets = [p for p in range(0, pulses_per_bar) if p % sub in (0, sub - 1)]  # long-short, as the qraqeb
        if len(onsets) > 4:
            drop = rng.choice(np.arange(1, len(onsets)), size=int(rng.integers(1, 3)), replace=False)
            onsets = [p for i, p in enumerate(onsets) if i not in set(drop.tolist())]
        riff = _contour(rng, len(onsets), 0, -2, fifth)
        riff[-1] = int(rng.choice([0, -1]))
        turn = list(riff)
        turn[len(turn) // 2:] = [int(np.clip(d + 1, -2, fifth)) for d in turn[len(turn) // 2:]]
        for bar in range(bars):
            degs = turn if bar % 4 == 3 and bar != bars - 1 else riff
            for i, p in enumerate(onsets):
                nxt = onsets[i + 1] if i + 1 < len(onsets) else pulses_per_bar
                start, end = at(bar, p), at(bar, nxt)
                if bar == bars - 1 and i == len(onsets) - 1:
                    degs = [0] * len(degs)
                velocity = int(np.clip((100 if p == 0 else 84) + rng.integers(-5, 6), 40, 120))
                score.add(BASS, start, (end - start) * 0.9, scale.pitch(degs[i], bass_tonic), velocity)
    elif rhythm.bass_style == "pulse":
        dums = sorted({round(h.position * sub) for h in rhythm.hits if h.drum in ("darbuka_dum", "bendir", "kick")})
        for bar in range(bars):
            for i, p in enumerate(dums):
                nxt = dums[i + 1] if i + 1 < len(dums) else pulses_per_bar
                degree = 0 if i % 2 == 0 or bar == bars - 1 else int(rng.choice([fifth, fifth, -1]))
                start, end = at(bar, p), at(bar, nxt)
                velocity = int(np.clip(80 + rng.integers(-5, 6), 40, 120))
                score.add(BASS, start, (end - start) * 0.85, scale.pitch(degree, bass_tonic), velocity)
    else:  # drone
        for bar in range(bars):
            degree = fifth if (bar % 4 == 2 and bar != bars - 1) else 0
            start, end = at(bar, 0), at(bar + 1, 0)
            score.add(BASS, start, (end - start) * 0.98, scale.pitch(degree, 48 + tonic), 64)

    # ------------------------------------------------------------------ percussion
    counts: dict[str, int] = {}
    for h in rhythm.hits:
        counts[h.drum] = counts.get(h.drum, 0) + 1
    main_drum = max(counts, key=lambda k: (counts[k], k))
    taken = {round(h.position * sub) for h in rhythm.hits if h.drum == main_drum}
    fill_slots = [p for p in range(pulses_per_bar - sub, pulses_per_bar) if p not in taken]
    hit_length = min(0.2, pulse_seconds * 0.9)
    for bar in range(bars):
        for h in rhythm.hits:
            downbeat = h.position == 0 and bar in (0, bars - 1)
            velocity = h.velocity + int(rng.integers(-6, 7)) + (10 if downbeat else 0)
            score.add(DRUM_TRACK, at(bar, h.position * sub), hit_length, DRUMS[h.drum], int(np.clip(velocity, 1, 127)))
        if bar % 4 == 3 and bar != bars - 1:
            for p in fill_slots:
                score.add(DRUM_TRACK, at(bar, p), hit_length, DRUMS[main_drum], int(60 + rng.integers(0, 15)))

    # nothing rings past the end of the last bar: the renderer adds the tail
    score.notes = [n if n.end <= piece_end else type(n)(n.start, max(piece_end - n.start, 1e-3), n.pitch,
                                                        n.velocity, n.track)
                   for n in score.notes if n.start < piece_end]
    return score


# ------------------------------------------------------------------------------------------- options, rendering
def check_piece(*, scale: object, rhythm: object, bars: object, tempo: object, tonic: object) -> dict:
    """The options every composing engine shares, checked at the door: scale, rhythm, bars, tempo, tonic."""
    rhythm_name = check_choice("rhythm", rhythm, RHYTHMS)
    if tempo is None:
        tempo_value: float = RHYTHMS[rhythm_name].tempo
    else:
        tempo_value = check_float("tempo", tempo, 40, 240)
        tempo_value = int(tempo_value) if float(tempo_value).is_integer() else tempo_value
    return {"scale": check_choice("scale", scale, SCALES), "rhythm": rhythm_name,
            "bars": check_int("bars", bars, 1, 64), "tempo": tempo_value, "tonic": check_choice("tonic", tonic, TONICS)}


def render_piece(score: Score, piece: dict) -> np.ndarray:
    """Render ``score`` to the length of ``piece``'s bars (the renderer adds the tail)."""
    return render(score, duration=piece["bars"] * RHYTHMS[piece["rhythm"]].beats * 60.0 / float(piece["tempo"]))
