"""Musical material for the embedded music engine: scales (maqamat), rhythm cycles and instruments.

Everything here is plain data, importable without any heavy package:

- :data:`SCALES` maps a name to a :class:`Scale`, whose ``steps`` are semitone offsets from the tonic within one
  octave. Quarter tones are written as halves (``1.5`` is three quarter tones above the tonic).
- :data:`RHYTHMS` maps a name to a :class:`Rhythm`: one cycle of percussion hits on a binary or ternary grid.
- :data:`INSTRUMENTS` maps a role (``"guembri"``, ``"oud"``, ``"nay"`` ...) to a General MIDI program, and
  :data:`DRUMS` maps a percussion stroke (``"qraqeb"``, ``"bendir"`` ...) to a General MIDI percussion key, both
  chosen among the sounds of the ``TimGM6mb.sf2`` SoundFont shipped by ``pretty_midi``.
- :data:`TONICS` maps a note name to its pitch class.

The tables are simplified teaching material: see ``docs/music.md`` for what each entry approximates and its sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from collections.abc import Mapping

__all__ = [
    "Scale",
    "Hit",
    "Rhythm",
    "Instrument",
    "SCALES",
    "RHYTHMS",
    "INSTRUMENTS",
    "DRUMS",
    "TONICS",
    "PITCH_BEND_RANGE",
]

#: Pitch-bend range, in semitones up and down, used in MIDI files and by the renderer (the General MIDI default).
PITCH_BEND_RANGE = 2


def _frozen(d: dict) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Scale:
    """A scale: the pitches of one octave above a tonic.

    Parameters
    ----------
    name : str
        Key in :data:`SCALES`.
    steps : tuple of float
        Ascending offsets from the tonic in semitones, starting with ``0``, all below ``12``. Half values are
        quarter tones.
    label : mapping
        Display names by language code (``"fr"``, ``"en"``, ``"ar"``).
    description : str
        One line on what the scale is.
    source : str
        One line naming the reference the steps follow.
    """

    name: str
    steps: tuple[float, ...]
    label: Mapping[str, str] = field(compare=False)
    description: str = field(compare=False)
    source: str = field(compare=False)

    @property
    def microtonal(self) -> bool:
        """True when at least one degree is a quarter tone off the twelve-tone grid."""
        return any(s != int(s) for s in self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def pitch(self, degree: int, tonic: float) -> float:
        """MIDI pitch (float) of scale ``degree`` (0 = tonic; may be negative or span octaves) above ``tonic``."""
        octave, index = divmod(int(degree), len(self.steps))
        return float(tonic) + 12.0 * octave + self.steps[index]

    def degree_of_fifth(self) -> int:
        """Index of the degree seven semitones above the tonic, or of the nearest degree below it."""
        best = 0
        for i, s in enumerate(self.steps):
            if s <= 7:
                best = i
        return best


@dataclass(frozen=True)
class Hit:
    """One percussion stroke in a rhythm cycle.

    Parameters
    ----------
    position : float
        Onset in beats from the start of the cycle (on the rhythm's grid, e.g. ``2/3`` on a ternary grid).
    drum : str
        Key in :data:`DRUMS`.
    velocity : int
        MIDI velocity, 1 to 127.
    """

    position: float
    drum: str
    velocity: int


@dataclass(frozen=True)
class Rhythm:
    """A rhythm cycle: one bar of percussion on a binary or ternary grid.

    Parameters
    ----------
    name : str
        Key in :data:`RHYTHMS`.
    beats : int
        Beats per cycle; one cycle is one bar of the generated music.
    subdivision : int
        Pulses per beat: ``2`` (binary) or ``3`` (ternary). Melody notes start and end on this grid.
    hits : tuple of Hit
        The percussion strokes of one cycle.
    tempo : int
        Default tempo in beats per minute.
    swing : float
        Micro-timing in fractions of one pulse added to every event that falls between beats (positive: later).
    lead, bass : str
        Keys in :data:`INSTRUMENTS` playing the melody and the bass line.
    bass_style : str
        ``"ostinato"`` (a repeated riff, as a guembri plays it), ``"pulse"`` (tonic and fifth on the beats) or
        ``"drone"`` (a long held tonic).
    label : mapping
        Display names by language code.
    description, source : str
        One line each.
    """

    name: str
    beats: int
    subdivision: int
    hits: tuple[Hit, ...]
    tempo: int
    swing: float
    lead: str
    bass: str
    bass_style: str
    label: Mapping[str, str] = field(compare=False)
    description: str = field(compare=False)
    source: str = field(compare=False)

    @property
    def pulses(self) -> int:
        """Grid pulses per cycle (``beats * subdivision``)."""
        return self.beats * self.subdivision

    def onset(self, pulse: float) -> float:
        """Position in beats of grid ``pulse`` counted from the start of the cycle, swing applied."""
        beats = pulse / self.subdivision
        if abs(beats - round(beats)) > 1e-9:
            beats += self.swing / self.subdivision
        return beats


@dataclass(frozen=True)
class Instrument:
    """A melodic role and the General MIDI program (0-based) that plays it."""

    name: str
    program: int
    label: Mapping[str, str] = field(compare=False)
    description: str = field(compare=False)


def _scale(name, steps, fr, en, ar, description, source) -> Scale:
    return Scale(name, tuple(float(s) for s in steps), _frozen({"fr": fr, "en": en, "ar": ar}), description, source)


SCALES: Mapping[str, Scale] = _frozen({
    s.name: s
    for s in (
        _scale("major", (0, 2, 4, 5, 7, 9, 11), "Majeur", "Major", "ماجور (كبير)",
               "The Western major scale (Ionian mode); on C it has the same pitches as maqam Ajam.",
               "maqamworld.com/en/maqam/ajam.php (Ajam)"),
        _scale("minor", (0, 2, 3, 5, 7, 8, 10), "Mineur", "Minor", "مينور (صغير)",
               "The Western natural minor scale (Aeolian mode).",
               "Standard Western theory; compare maqamworld.com/en/maqam/nahawand.php"),
        _scale("pentatonic", (0, 3, 5, 7, 10), "Pentatonique (gnaoua)", "Pentatonic (Gnawa)", "خماسي (كناوة)",
               "Anhemitonic minor pentatonic, the five-note scale of Gnawa guembri songs.",
               "D. Kapchan, Traveling Spirit Masters (Wesleyan University Press, 2007)"),
        _scale("hijaz", (0, 1, 4, 5, 7, 8, 10), "Hijaz", "Hijaz", "حجاز",
               "Maqam Hijaz: augmented second between degrees 2 and 3; no quarter tones.",
               "maqamworld.com/en/maqam/hijaz.php"),
        _scale("nahawand", (0, 2, 3, 5, 7, 8, 11), "Nahawand", "Nahawand", "نهاوند",
               "Maqam Nahawand (ascending form with a raised seventh, like harmonic minor); no quarter tones.",
               "maqamworld.com/en/maqam/nahawand.php"),
        _scale("kurd", (0, 1, 3, 5, 7, 8, 10), "Kurde", "Kurd", "كرد",
               "Maqam Kurd: minor second above the tonic (Phrygian mode); no quarter tones.",
               "maqamworld.com/en/maqam/kurd.php"),
        _scale("bayati", (0, 1.5, 3, 5, 7, 8, 10), "Bayati", "Bayati", "بياتي",
               "Maqam Bayati: second degree a quarter tone flat (three quarter tones above the tonic).",
               "maqamworld.com/en/maqam/bayati.php"),
        _scale("rast", (0, 2, 3.5, 5, 7, 9, 10.5), "Rast", "Rast", "راست",
               "Maqam Rast: third and seventh degrees a quarter tone flat.",
               "maqamworld.com/en/maqam/rast.php"),
        _scale("saba", (0, 1.5, 3, 4, 7, 8, 10), "Saba", "Saba", "صبا",
               "Maqam Saba: half-flat second and a diminished fourth (G flat on D): a narrow, plaintive opening.",
               "maqamworld.com/en/maqam/saba.php"),
        _scale("sikah", (0, 1.5, 3.5, 5.5, 7, 8.5, 10.5), "Sikah", "Sikah", "سيكاه",
               "Maqam Sikah, built on a half-flat tonic: neutral seconds and thirds throughout.",
               "maqamworld.com/en/maqam/sikah.php"),
    )
})


def _hits(*items: tuple[float, str, int]) -> tuple[Hit, ...]:
    return tuple(sorted((Hit(float(p), d, int(v)) for p, d, v in items), key=lambda h: (h.position, h.drum)))


def _gnawa_hits() -> tuple[Hit, ...]:
    items = []
    for beat in range(4):
        items.append((beat, "qraqeb", 100 if beat % 2 == 0 else 90))  # the stroke on the beat
        items.append((beat + 2 / 3, "qraqeb", 72))  # the short stroke before the next beat: long-short
        if beat % 2 == 1:
            items.append((beat + 1 / 3, "qraqeb", 48))  # a ghost stroke that fills the triplet
    items += [(0, "tbel", 100), (2, "tbel", 84), (3 + 2 / 3, "handclap", 70)]
    return _hits(*items)


def _chaabi_hits() -> tuple[Hit, ...]:
    # Two 6/8 measures per cycle (twelve eighths, three per beat). Counting eighths from 1, the low strokes fall on
    # 5 and 10 and the high ones on 3 and 8, so the downbeat is felt rather than struck hard.
    items = [
        (2 / 3, "darbuka_tek", 96), (4 / 3, "darbuka_dum", 118), (7 / 3, "darbuka_tek", 96), (3, "darbuka_dum", 118),
        (5 / 3, "darbuka_ka", 64), (11 / 3, "darbuka_ka", 64),
        (0, "bendir", 88), (1, "bendir_tek", 70), (2, "bendir", 80), (3, "bendir_tek", 70),
    ]
    for pulse in range(12):
        items.append((pulse / 3, "tar", 62 if pulse % 3 == 0 else 42))  # the tambourine keeps every eighth
    return _hits(*items)


def _ahidous_hits() -> tuple[Hit, ...]:
    items = [
        (0, "bendir", 118), (1, "bendir_tek", 82), (1.5, "bendir", 96), (2, "bendir", 110),
        (3, "bendir_tek", 82), (3.5, "bendir_tek", 64),
        (1, "handclap", 88), (3, "handclap", 88),
    ]
    return _hits(*items)


def _ahwash_hits() -> tuple[Hit, ...]:
    # Frame drums answering each other, the low drum on the beat and a dense high-drum chatter pushing into beat 1.
    items = [(0, "bendir", 118), (1, "bendir", 100), (2, "bendir", 112), (3, "bendir", 100),
             (0.5, "bendir_tek", 70), (1.5, "bendir_tek", 70), (2.5, "bendir_tek", 76),
             (3.5, "bendir_tek", 84), (1, "handclap", 90), (3, "handclap", 90)]
    return _hits(*items)


def _quddam_hits() -> tuple[Hit, ...]:
    # Three quick beats (a 3/4 bar counted in sixes): dum on the first, teks filling, the tar on every beat.
    items = [(0, "darbuka_dum", 116), (2 / 3, "darbuka_tek", 80), (1, "darbuka_tek", 92), (5 / 3, "darbuka_ka", 60),
             (2, "darbuka_dum", 100), (8 / 3, "darbuka_tek", 84)]
    items += [(beat, "tar", 70) for beat in range(3)]
    return _hits(*items)


def _darj_hits() -> tuple[Hit, ...]:
    # A moderate four-beat cycle: dum on 1 and 3½, tek on 2 and 4.
    items = [(0, "darbuka_dum", 116), (1, "darbuka_tek", 90), (1.5, "darbuka_ka", 60), (2.5, "darbuka_dum", 104),
             (3, "darbuka_tek", 90), (3.5, "darbuka_ka", 60)]
    items += [(beat, "tar", 64) for beat in range(4)]
    return _hits(*items)


def _waltz_hits() -> tuple[Hit, ...]:
    return _hits((0, "kick", 110), (1, "hihat", 70), (2, "hihat", 70), (1, "snare", 60), (2, "snare", 54))


def _backbeat_hits() -> tuple[Hit, ...]:
    items = [(0, "kick", 112), (2, "kick", 104), (2.5, "kick", 84), (1, "snare", 104), (3, "snare", 104)]
    items += [(eighth / 2, "hihat", 74 if eighth % 2 == 0 else 56) for eighth in range(8)]
    return _hits(*items)


RHYTHMS: Mapping[str, Rhythm] = _frozen({
    r.name: r
    for r in (
        Rhythm("gnawa", 4, 3, _gnawa_hits(), 100, 0.08, "oud", "guembri", "ostinato",
               _frozen({"fr": "Gnaoua", "en": "Gnawa", "ar": "كناوة"}),
               "Gnawa: qraqeb iron castanets in a swung long-short ternary pattern over a guembri bass riff.",
               "D. Kapchan, Traveling Spirit Masters (2007); UNESCO Intangible Heritage list, Gnawa (2019)"),
        Rhythm("chaabi", 4, 3, _chaabi_hits(), 132, 0.0, "violin", "bass", "pulse",
               _frozen({"fr": "Chaâbi", "en": "Chaabi", "ar": "شعبي"}),
               "Chaabi: fast 6/8 popular groove, darbuka dum-tek over bendir and tambourine (two measures a cycle).",
               "P. Lockett, 'The grooves of Morocco' (petelockett.com): the two-measure 6/8 chaabi cycle"),
        Rhythm("ahidous", 4, 2, _ahidous_hits(), 96, 0.0, "nay", "strings", "drone",
               _frozen({"fr": "Ahidous", "en": "Ahidous", "ar": "أحيدوس"}),
               "Ahidous: Middle Atlas Amazigh collective dance, bendir frame drums and hand claps, simplified.",
               "C. J. Becker, Amazigh Arts in Morocco (2006); M. Rovsing Olsen, Chants et danses de l'Atlas (1997)"),
        Rhythm("ahwash", 4, 2, _ahwash_hits(), 112, 0.0, "violin", "bass", "pulse",
               _frozen({"fr": "Ahwach", "en": "Ahwash", "ar": "أحواش"}),
               "Ahwash: collective song and dance of the Souss and High Atlas, frame drums in dialogue, simplified.",
               "M. Rovsing Olsen, Chants et danses de l'Atlas (Cité de la musique / Actes Sud, 1997)"),
        Rhythm("quddam", 3, 3, _quddam_hits(), 138, 0.0, "violin", "oud", "pulse",
               _frozen({"fr": "Quddam (nouba andalouse)", "en": "Quddam (Andalusi nuba)", "ar": "قدام (نوبة أندلسية)"}),
               "Quddam: the fast closing movement (mizan) of a Moroccan Andalusi nuba, in three, simplified.",
               "Ministère de la Culture, Anthologie Al-Âla (Maison des Cultures du Monde, 1989-); "
               "O. Wright, Andalusian music"),
        Rhythm("darj", 4, 2, _darj_hits(), 96, 0.0, "oud", "strings", "drone",
               _frozen({"fr": "Darj (nouba andalouse)", "en": "Darj (Andalusi nuba)", "ar": "درج (نوبة أندلسية)"}),
               "Darj: the moderate four-beat mizan of the Andalusi nuba, simplified.",
               "Ministère de la Culture, Anthologie Al-Âla (Maison des Cultures du Monde, 1989-)"),
        Rhythm("waltz", 3, 2, _waltz_hits(), 120, 0.0, "nay", "bass", "pulse",
               _frozen({"fr": "Valse (3/4)", "en": "Waltz (3/4)", "ar": "فالس (3/4)"}),
               "A Western 3/4 waltz: a low stroke on one, light strokes on two and three.",
               "Standard Western meter"),
        Rhythm("backbeat", 4, 2, _backbeat_hits(), 104, 0.0, "violin", "bass", "pulse",
               _frozen({"fr": "Pop (4/4)", "en": "Pop backbeat (4/4)", "ar": "بوب (4/4)"}),
               "A Western 4/4 backbeat: kick on one and three, snare on two and four, eighth-note hi-hat.",
               "Standard Western meter"),
    )
})


def _instrument(name, program, fr, en, ar, description) -> Instrument:
    return Instrument(name, program, _frozen({"fr": fr, "en": en, "ar": ar}), description)


#: Melodic roles -> General MIDI programs (0-based) present in TimGM6mb.sf2.
INSTRUMENTS: Mapping[str, Instrument] = _frozen({
    i.name: i
    for i in (
        _instrument("guembri", 34, "Guembri", "Guembri", "كمبري", "Gnawa bass lute, played by the GM Picked Bass."),
        _instrument("bass", 32, "Basse", "Bass", "باص", "Acoustic bass, played by the GM Acoustic Bass."),
        _instrument("oud", 24, "Oud", "Oud", "عود", "Plucked lute, played by the GM Nylon Guitar."),
        _instrument("qanun", 46, "Qanoun", "Qanun", "قانون", "Plucked zither, played by the GM Harp."),
        _instrument("nay", 73, "Nay (flûte)", "Nay (flute)", "ناي", "End-blown flute, played by the GM Flute."),
        _instrument("violin", 40, "Violon", "Violin", "كمان", "Bowed fiddle of chaabi, played by the GM Violin."),
        _instrument("strings", 48, "Cordes", "Strings", "وتريات", "Held drone, played by the GM String Ensemble."),
        _instrument("ghaita", 111, "Ghaïta", "Ghaita", "غيطة", "Double-reed shawm, played by the GM Shanai."),
    )
})

#: Percussion strokes -> General MIDI percussion keys (channel 10, TimGM6mb.sf2 standard kit).
DRUMS: Mapping[str, int] = _frozen({
    "qraqeb": 85,  # Castanets
    "tbel": 35,  # Acoustic Bass Drum (the large Gnawa drum)
    "handclap": 39,  # Hand Clap
    "bendir": 41,  # Low Floor Tom (frame drum, open low stroke)
    "bendir_tek": 37,  # Side Stick (frame drum, rim stroke)
    "darbuka_dum": 64,  # Low Conga (goblet drum, centre stroke)
    "darbuka_tek": 62,  # Mute High Conga (goblet drum, rim stroke)
    "darbuka_ka": 63,  # Open High Conga (goblet drum, second-hand rim stroke)
    "tar": 54,  # Tambourine
    "kick": 36,  # Bass Drum 1 (Western kit)
    "snare": 38,  # Acoustic Snare
    "hihat": 42,  # Closed Hi-Hat
})

#: Note names accepted as a tonic -> pitch class (C = 0).
TONICS: Mapping[str, int] = _frozen({
    "C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
    "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11,
})
