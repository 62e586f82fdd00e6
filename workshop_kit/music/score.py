"""A small score: notes in seconds with float pitches, grouped in tracks, exportable as a MIDI file.

Pitches are MIDI numbers as floats, so ``62.5`` is a quarter tone above D4. In a MIDI file each note becomes the
nearest key plus a pitch-bend event at its onset on that track's channel, with the pitch-bend range set to
:data:`~workshop_kit.music.theory.PITCH_BEND_RANGE` semitones by an RPN 0 message at the start. A pitch bend moves every
sounding note of a channel, so a track that holds quarter tones must be monophonic: :meth:`Score.add` keeps it so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import ParameterError
from ..i18n import Msg
from .theory import PITCH_BEND_RANGE

__all__ = ["Note", "Track", "Score", "split_pitch", "bend_value"]

DRUM_CHANNEL = 9


def split_pitch(pitch: float) -> tuple[int, float]:
    """Split a float MIDI pitch into the nearest key and the remaining offset in semitones (in ``[-0.5, 0.5)``).

    >>> split_pitch(62.5)
    (63, -0.5)
    >>> split_pitch(60.0)
    (60, 0.0)
    """
    key = int(math.floor(pitch + 0.5))
    return key, float(pitch) - key


def bend_value(offset: float, bend_range: float = PITCH_BEND_RANGE) -> int:
    """Pitch-wheel value in ``[-8192, 8191]`` (0 = centre) that moves a note by ``offset`` semitones."""
    value = int(round(offset / bend_range * 8192))
    return max(-8192, min(8191, value))


@dataclass(frozen=True)
class Note:
    """One note.

    Parameters
    ----------
    start, duration : float
        Onset and length in seconds.
    pitch : float
        MIDI pitch; fractions are microtones (``62.5`` = D4 raised by a quarter tone). For drum tracks, the
        General MIDI percussion key.
    velocity : int
        1 to 127.
    track : str
        Name of the :class:`Track` that plays it.
    """

    start: float
    duration: float
    pitch: float
    velocity: int
    track: str

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class Track:
    """A part played by one instrument on one MIDI channel.

    Parameters
    ----------
    name : str
        Unique within a score.
    program : int
        General MIDI program, 0-based (ignored for drums).
    is_drum : bool
        True for the percussion track (MIDI channel 10).
    """

    name: str
    program: int = 0
    is_drum: bool = False


@dataclass
class Score:
    """Tracks and their notes, with the tempo the piece was composed at.

    Parameters
    ----------
    tempo : float
        Beats per minute, written into the MIDI file.
    tracks : list of Track
    notes : list of Note
    beats_per_bar : int
        Written as the numerator of a quarter-note time signature.
    """

    tempo: float = 120.0
    tracks: list[Track] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    beats_per_bar: int = 4

    def add_track(self, name: str, program: int = 0, *, is_drum: bool = False) -> Track:
        """Add a track and return it; names must be unique."""
        if any(t.name == name for t in self.tracks):
            raise ParameterError("track", name, Msg("allowed.unused_track"))
        track = Track(name, int(program), bool(is_drum))
        self.tracks.append(track)
        return track

    def track(self, name: str) -> Track:
        for t in self.tracks:
            if t.name == name:
                return t
        raise ParameterError("track", name, [t.name for t in self.tracks])

    def add(self, track: str, start: float, duration: float, pitch: float, velocity: int = 90) -> Note:
        """Add a note to ``track``, in time order; on a melodic track the previous note is shortened if it overlaps."""
        t = self.track(track)
        note = Note(float(start), float(duration), float(pitch), int(max(1, min(127, velocity))), t.name)
        if not t.is_drum:
            for i in range(len(self.notes) - 1, -1, -1):
                prev = self.notes[i]
                if prev.track != t.name:
                    continue
                if prev.start <= note.start < prev.end:
                    self.notes[i] = Note(prev.start, max(note.start - prev.start, 1e-3), prev.pitch, prev.velocity,
                                         prev.track)
                break
        self.notes.append(note)
        return note

    @property
    def end(self) -> float:
        """Time in seconds when the last note ends (0 for an empty score)."""
        return max((n.end for n in self.notes), default=0.0)

    def notes_of(self, track: str) -> list[Note]:
        return sorted((n for n in self.notes if n.track == track), key=lambda n: (n.start, n.pitch))

    def channels(self) -> dict[str, int]:
        """MIDI channel (0-based) of each track: drums on channel 9 (MIDI channel 10), others in order."""
        free = [c for c in range(16) if c != DRUM_CHANNEL]
        out: dict[str, int] = {}
        melodic = 0
        for t in self.tracks:
            if t.is_drum:
                out[t.name] = DRUM_CHANNEL
            else:
                if melodic >= len(free):
                    raise ParameterError("tracks", len(self.tracks), Msg("allowed.melodic_tracks"))
                out[t.name] = free[melodic]
                melodic += 1
        return out

    def is_microtonal(self, track: str) -> bool:
        return any(n.pitch != int(n.pitch) for n in self.notes if n.track == track)

    def to_midi(self):
        """Return the score as a ``pretty_midi.PrettyMIDI``.

        A track holding microtones gets a pitch-bend event at the onset of each of its notes (0 for a plain note)
        and, at the start, RPN 0 messages setting its pitch-bend range to ``PITCH_BEND_RANGE`` semitones.
        """
        import pretty_midi

        pm = pretty_midi.PrettyMIDI(initial_tempo=float(self.tempo))
        pm.time_signature_changes.append(pretty_midi.TimeSignature(int(self.beats_per_bar), 4, 0.0))
        tick = pm.tick_to_time(1)
        for t in self.tracks:
            inst = pretty_midi.Instrument(program=t.program if not t.is_drum else 0, is_drum=t.is_drum, name=t.name)
            bends = not t.is_drum and self.is_microtonal(t.name)
            if bends:
                # RPN 0 (pitch-bend sensitivity): select, data entry, then deselect; one tick apart because
                # pretty_midi orders control changes of the same tick by controller number.
                for time, number, value in ((0.0, 101, 0), (0.0, 100, 0), (tick, 6, PITCH_BEND_RANGE), (tick, 38, 0),
                                            (2 * tick, 101, 127), (2 * tick, 100, 127)):
                    inst.control_changes.append(pretty_midi.ControlChange(number, value, time))
            for n in self.notes_of(t.name):
                key, offset = split_pitch(n.pitch)
                if not 0 <= key <= 127:
                    continue
                if bends:
                    inst.pitch_bends.append(pretty_midi.PitchBend(bend_value(offset), n.start))
                inst.notes.append(pretty_midi.Note(velocity=n.velocity, pitch=key, start=n.start, end=n.end))
            pm.instruments.append(inst)
        return pm
