"""A SoundFont 2 reader and sample player in numpy: the kit's music renderer, with nothing to compile.

It reads the ``.sf2`` file (RIFF: the ``smpl`` sample data and the ``pdta`` preset, instrument and sample tables),
resolves each note to the zones of its preset and instrument (key and velocity ranges, the preset's generators added
to the instrument's, as the SoundFont 2.04 specification says), and plays each zone's sample as one voice: linear
interpolation at the note's pitch ratio, the sustain loop, the low-pass filter, the volume envelope (delay, attack,
hold, decay, sustain, release) and the pan. The envelope, filter and pan follow TinySoundFont's choices, so a piece
sounds as it did with that library.

What a voice does not do: modulators (the default velocity curves are replaced by a gain proportional to velocity),
the LFOs and the modulation envelope, reverb and chorus. Pitch is fixed for the whole life of a voice, which is what
the kit's scores need: each melodic note carries its own bend (quarter tones), set just before it starts.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["SoundFont", "SoundFontError", "Voice", "load", "mix"]

# Generator numbers of the SoundFont 2.04 specification (section 8.1.2) that the player uses.
START_OFS, END_OFS, LOOP_START_OFS, LOOP_END_OFS, START_COARSE = 0, 1, 2, 3, 4
FILTER_FC, FILTER_Q, END_COARSE, PAN = 8, 9, 12, 17
DELAY, ATTACK, HOLD, DECAY, SUSTAIN, RELEASE, KEY_TO_HOLD, KEY_TO_DECAY = 33, 34, 35, 36, 37, 38, 39, 40
INSTRUMENT, KEY_RANGE, VEL_RANGE, LOOP_START_COARSE = 41, 43, 44, 45
ATTENUATION, LOOP_END_COARSE, COARSE_TUNE, FINE_TUNE, SAMPLE_ID, SAMPLE_MODES = 48, 50, 51, 52, 53, 54
SCALE_TUNING, ROOT_KEY = 56, 58
MOD_ENV_TO_FC, MOD_DELAY, MOD_ATTACK, MOD_HOLD, MOD_DECAY, MOD_SUSTAIN = 11, 25, 26, 27, 28, 29
MOD_KEY_TO_HOLD, MOD_KEY_TO_DECAY = 31, 32
_RANGES = (KEY_RANGE, VEL_RANGE)
_ENVELOPE_DEFAULT = -12000  # timecents: about 1 ms
DEFAULTS = {FILTER_FC: 13500, DELAY: _ENVELOPE_DEFAULT, ATTACK: _ENVELOPE_DEFAULT, HOLD: _ENVELOPE_DEFAULT,
            DECAY: _ENVELOPE_DEFAULT, RELEASE: _ENVELOPE_DEFAULT, SCALE_TUNING: 100, ROOT_KEY: -1,
            MOD_DELAY: _ENVELOPE_DEFAULT, MOD_ATTACK: _ENVELOPE_DEFAULT, MOD_HOLD: _ENVELOPE_DEFAULT,
            MOD_DECAY: _ENVELOPE_DEFAULT}
_EXP_80DB = -9.226  # natural log of -80 dB: the exponential segments fall this far over their length
_FAST_RELEASE = 0.01  # seconds, where a release time would be shorter


class SoundFontError(ValueError):
    """The file is not a SoundFont 2 the player can read."""


@dataclass(frozen=True)
class Zone:
    """One playable zone: a sample with its generators, the preset's added to the instrument's."""

    keys: tuple[int, int]
    vels: tuple[int, int]
    gens: dict

    def gen(self, number: int) -> int:
        return self.gens.get(number, DEFAULTS.get(number, 0))


@dataclass(frozen=True)
class Voice:
    """One note to play: where it starts and ends (samples), its preset, key, extra pitch and velocity."""

    start: int
    end: int
    bank: int
    program: int
    key: int
    velocity: int
    bend: float = 0.0  # semitones added to the key (quarter tones: 0.5)


def _chunks(data: memoryview, offset: int, end: int):
    while offset + 8 <= end:
        cid, size = struct.unpack_from("<4sI", data, offset)
        yield cid, offset + 8, size
        offset += 8 + size + (size & 1)


_PHDR = np.dtype([("name", "S20"), ("preset", "<u2"), ("bank", "<u2"), ("bag", "<u2"), ("x", "<u4", 3)])
_INST = np.dtype([("name", "S20"), ("bag", "<u2")])
_BAG = np.dtype([("gen", "<u2"), ("mod", "<u2")])
_GEN = np.dtype([("oper", "<u2"), ("amount", "<i2")])
_SHDR = np.dtype([("name", "S20"), ("start", "<u4"), ("end", "<u4"), ("loop_start", "<u4"), ("loop_end", "<u4"),
                  ("rate", "<u4"), ("root", "u1"), ("correction", "i1"), ("link", "<u2"), ("type", "<u2")])


class SoundFont:
    """A parsed SoundFont: its samples as float32 and its presets resolved into :class:`Zone` lists."""

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise SoundFontError(f"cannot read {self.path}: {exc.strerror}") from None
        data = memoryview(raw)
        if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"sfbk":
            raise SoundFontError(f"{self.path} is not a SoundFont 2 file (no RIFF sfbk header)")
        tables: dict[bytes, memoryview] = {}
        samples = None
        for cid, off, size in _chunks(data, 12, len(raw)):
            if cid != b"LIST":
                continue
            for sub, soff, ssize in _chunks(data, off + 4, min(off + size, len(raw))):
                if sub == b"smpl":
                    samples = np.frombuffer(data[soff:soff + ssize - (ssize & 1)], dtype="<i2")
                else:
                    tables[sub] = data[soff:soff + ssize]
        need = (b"phdr", b"pbag", b"pgen", b"inst", b"ibag", b"igen", b"shdr")
        if samples is None or any(t not in tables for t in need):
            raise SoundFontError(f"{self.path} lacks the sample data or a preset table of a SoundFont 2")
        try:
            table = {name: np.frombuffer(tables[name], dtype=dt, count=len(tables[name]) // dt.itemsize)
                     for name, dt in ((b"phdr", _PHDR), (b"pbag", _BAG), (b"pgen", _GEN), (b"inst", _INST),
                                      (b"ibag", _BAG), (b"igen", _GEN), (b"shdr", _SHDR))}
            self.samples = samples.astype(np.float32) / 32768.0
            self.headers = table[b"shdr"]
            instruments = self._zones(table[b"inst"], table[b"ibag"], table[b"igen"], SAMPLE_ID)
            self.presets: dict[tuple[int, int], list[Zone]] = {}
            phdr = table[b"phdr"]
            for p, (bag, gens) in enumerate(self._bags(phdr, table[b"pbag"], table[b"pgen"])):
                self.presets[(int(phdr[p]["bank"]), int(phdr[p]["preset"]))] = self._combine(gens, instruments)
        except (IndexError, KeyError, ValueError) as exc:
            raise SoundFontError(f"{self.path} has inconsistent preset tables ({exc})") from None

    @staticmethod
    def _bags(headers, bags, gens):
        """For every header but the terminal one: its zones, each a list of (generator, amount)."""
        for h in range(len(headers) - 1):
            zones = []
            for b in range(int(headers[h]["bag"]), int(headers[h + 1]["bag"])):
                first, last = int(bags[b]["gen"]), int(bags[b + 1]["gen"])
                zones.append([(int(g["oper"]), int(g["amount"])) for g in gens[first:last]])
            yield h, zones

    @classmethod
    def _zones(cls, headers, bags, gens, terminal: int) -> list[list[dict]]:
        """Each instrument's zones as generator dicts, its global zone (the first, without a sample) merged in."""
        out = []
        for _, zones in cls._bags(headers, bags, gens):
            dicts = [dict(z) for z in zones]
            base: dict = {}
            if dicts and terminal not in dicts[0]:
                base = dicts.pop(0)
            out.append([{**base, **z} for z in dicts if terminal in z])
        return out

    @staticmethod
    def _combine(preset_zones, instruments) -> list[Zone]:
        dicts = [dict(z) for z in preset_zones]
        base: dict = {}
        if dicts and INSTRUMENT not in dicts[0]:
            base = dicts.pop(0)
        out = []
        for pz in dicts:
            if INSTRUMENT not in pz:
                continue
            pz = {**base, **pz}
            for iz in instruments[pz[INSTRUMENT]]:
                gens = dict(iz)
                keys, vels = [0, 127], [0, 127]
                for number, target in ((KEY_RANGE, keys), (VEL_RANGE, vels)):
                    for source in (pz, iz):  # ranges intersect
                        if number in source:
                            low, high = source[number] & 0xFF, (source[number] >> 8) & 0xFF
                            target[0], target[1] = max(target[0], low), min(target[1], high)
                for number, amount in pz.items():  # the preset's generators add to the instrument's
                    if number in _RANGES or number in (INSTRUMENT, SAMPLE_ID, SAMPLE_MODES, ROOT_KEY):
                        continue
                    gens[number] = gens.get(number, DEFAULTS.get(number, 0)) + amount
                if keys[0] <= keys[1] and vels[0] <= vels[1]:
                    out.append(Zone((keys[0], keys[1]), (vels[0], vels[1]), gens))
        return out

    def zones(self, bank: int, program: int, key: int, velocity: int) -> list[Zone]:
        """The zones that sound for ``key`` at ``velocity`` (bank 128 holds the drum kits; a missing preset falls back
        to program 0 of its bank, then of bank 0, as General MIDI players do)."""
        for where in ((bank, program), (bank, 0), (0, program), (0, 0)):
            if where in self.presets:
                return [z for z in self.presets[where]
                        if z.keys[0] <= key <= z.keys[1] and z.vels[0] <= velocity <= z.vels[1]]
        return []

    # ------------------------------------------------------------------------------------------------ playing
    def wave(self, zone: Zone, key: int, bend: float, held: int, limit: int, sample_rate: int) -> np.ndarray | None:
        """The mono sound of one zone played at ``key`` + ``bend`` semitones, released after ``held`` samples, at most
        ``limit`` samples long, before velocity, attenuation and pan; ``None`` when it is silent."""
        h = self.headers[zone.gen(SAMPLE_ID)]
        if int(h["type"]) & 0x8000:  # a ROM sample: not in the file
            return None
        start = int(h["start"]) + zone.gen(START_OFS) + 32768 * zone.gen(START_COARSE)
        end = int(h["end"]) + zone.gen(END_OFS) + 32768 * zone.gen(END_COARSE)
        loop_start = int(h["loop_start"]) + zone.gen(LOOP_START_OFS) + 32768 * zone.gen(LOOP_START_COARSE)
        loop_end = int(h["loop_end"]) + zone.gen(LOOP_END_OFS) + 32768 * zone.gen(LOOP_END_COARSE)
        end = min(end, self.samples.size - 1)
        if not 0 <= start < end or h["rate"] == 0:
            return None
        looping = zone.gen(SAMPLE_MODES) & 1 and start <= loop_start < loop_end <= end

        root = zone.gen(ROOT_KEY)
        root = int(h["root"]) if root < 0 else root
        cents = (key + bend - root) * zone.gen(SCALE_TUNING) + zone.gen(COARSE_TUNE) * 100 + zone.gen(FINE_TUNE) \
            + int(h["correction"])
        step = 2.0 ** (cents / 1200.0) * int(h["rate"]) / sample_rate

        env = Envelope.of(zone, key)
        length = min(env.audible(held, sample_rate), limit)
        if not looping:
            length = min(length, int((end - start) / step))
        if length <= 0:
            return None
        pos = np.arange(length, dtype=np.float64) * step
        if looping:
            span = loop_end - loop_start
            beyond = pos > loop_end - start
            pos[beyond] = (loop_start - start) + np.mod(pos[beyond] - (loop_start - start), span)
        pos += start
        index = pos.astype(np.int64)
        frac = (pos - index).astype(np.float32)
        data = self.samples
        nxt = np.minimum(index + 1, end)
        if looping:  # the sample after the loop's last one is its first
            nxt = np.where(index + 1 >= loop_end, np.minimum(loop_start + (index + 1 - loop_end), end), nxt)
        wave = data[index]
        wave += (data[nxt] - wave) * frac

        wave = _filtered(wave, zone, key, sample_rate)
        wave *= env.curve(held, length, sample_rate)
        return wave

    @staticmethod
    def gains(zone: Zone, velocity: int) -> tuple[np.float32, np.float32]:
        """Left and right gains of a zone: velocity, attenuation (centibels) and TinySoundFont's pan law."""
        gain = float(velocity) / 127.0 * 10.0 ** (-zone.gen(ATTENUATION) * 0.1 / 20.0)
        pan = min(0.5, max(-0.5, zone.gen(PAN) / 1000.0))
        return np.float32(gain * np.sqrt(0.5 - pan)), np.float32(gain * np.sqrt(0.5 + pan))


def _seconds(timecents: int) -> float:
    return float(2.0 ** (timecents / 1200.0))


def _lowpass(wave: np.ndarray, cents: float, q_cb: int, rate: int) -> np.ndarray:
    """TinySoundFont's biquad low-pass (R. Bristow-Johnson's form) with its cut-off at ``cents`` (absolute cents,
    8.176 Hz at 0); above 13500 cents (about 20 kHz) the filter is off, as in TinySoundFont."""
    if cents > 13500:
        return wave
    from scipy.signal import lfilter

    fc = min(8.176 * 2.0 ** (cents / 1200.0) / rate, 0.499)
    k = np.tan(np.pi * fc)
    q_inv = 1.0 / 10.0 ** ((q_cb / 10.0) / 20.0)
    norm = 1.0 / (1.0 + k * q_inv + k * k)
    a0 = k * k * norm
    b = [a0, 2.0 * a0, a0]
    a = [1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - k * q_inv + k * k) * norm]
    return lfilter(b, a, wave).astype(np.float32)


def _filtered(wave: np.ndarray, zone: Zone, key: int, rate: int) -> np.ndarray:
    """The zone's low-pass filter. Where the modulation envelope moves the cut-off (plucked strings open bright and
    darken), the output fades from the filter at the envelope's peak to the filter at its sustain level along the
    envelope (linear attack and decay, as TinySoundFont's modulation envelope): two fixed filters, no per-sample
    coefficients."""
    fc, q, depth = zone.gen(FILTER_FC), zone.gen(FILTER_Q), zone.gen(MOD_ENV_TO_FC)
    if depth == 0:
        return _lowpass(wave, fc, q, rate)
    sustain = 1.0 - min(1000, max(0, zone.gen(MOD_SUSTAIN))) / 1000.0
    bright, dark = _lowpass(wave, fc + depth, q, rate), _lowpass(wave, fc + depth * sustain, q, rate)
    if sustain >= 1.0:
        return bright
    delay, attack = _seconds(zone.gen(MOD_DELAY)), _seconds(zone.gen(MOD_ATTACK))
    hold = _seconds(zone.gen(MOD_HOLD) + zone.gen(MOD_KEY_TO_HOLD) * (60 - key))
    decay = _seconds(zone.gen(MOD_DECAY) + zone.gen(MOD_KEY_TO_DECAY) * (60 - key))
    t = np.arange(wave.size, dtype=np.float32) / np.float32(rate)
    peak = delay + attack + hold
    level = np.where(t < delay + attack, np.clip((t - delay) / attack, 0.0, 1.0),
                     np.clip(1.0 - (t - peak) / decay, sustain, 1.0)).astype(np.float32)
    weight = (level - np.float32(sustain)) / np.float32(1.0 - sustain)
    np.clip(weight, 0.0, 1.0, out=weight)
    return dark + (bright - dark) * weight


@dataclass(frozen=True)
class Envelope:
    """A volume envelope in seconds: linear attack, exponential decay to the sustain level, exponential release (both
    fall 80 dB over their time, as in TinySoundFont)."""

    delay: float
    attack: float
    hold: float
    decay: float
    sustain: float  # a gain, 0..1
    release: float

    @classmethod
    def of(cls, zone: Zone, key: int) -> Envelope:
        return cls(_seconds(zone.gen(DELAY)), _seconds(zone.gen(ATTACK)),
                   _seconds(zone.gen(HOLD) + zone.gen(KEY_TO_HOLD) * (60 - key)),
                   _seconds(zone.gen(DECAY) + zone.gen(KEY_TO_DECAY) * (60 - key)),
                   10.0 ** (-max(0, zone.gen(SUSTAIN)) / 200.0), max(_FAST_RELEASE, _seconds(zone.gen(RELEASE))))

    def level(self, t: float) -> float:
        """The gain ``t`` seconds after the note starts, the key still held."""
        if t < self.delay:
            return 0.0
        if t < self.delay + self.attack:
            return (t - self.delay) / self.attack
        since = t - self.delay - self.attack - self.hold
        return 1.0 if since < 0 else max(self.sustain, float(np.exp(_EXP_80DB * since / self.decay)))

    def audible(self, held: int, rate: int) -> int:
        """How many samples the voice lasts before it falls under -80 dB, the key released after ``held``."""
        silent = _SILENT
        peak = self.delay + self.attack + self.hold
        if self.sustain <= silent:  # it dies away while held
            held = min(held, int((peak + self.decay * np.log(silent) / _EXP_80DB) * rate) + 1)
        level = self.level(held / rate)
        tail = self.release * np.log(level / silent) / -_EXP_80DB if level > silent else 0.0
        return held + int(tail * rate) + 1

    def curve(self, held: int, length: int, rate: int) -> np.ndarray:
        """The gain of each of ``length`` samples, the key released after ``held``."""
        t = np.arange(length, dtype=np.float32) / np.float32(rate)
        peak = self.delay + self.attack + self.hold
        env = np.exp(np.float32(_EXP_80DB / self.decay) * np.maximum(t - np.float32(peak), 0))
        np.maximum(env, np.float32(self.sustain), out=env)
        rising = t < self.delay + self.attack
        env[rising] = np.clip((t[rising] - self.delay) / self.attack, 0.0, 1.0)
        if held < length:
            level = self.level((held - 1) / rate) if held > 0 else 0.0
            env[held:] = level * np.exp(np.float32(_EXP_80DB / self.release) * (t[held:] - t[held]))
        return env


_SILENT = 1e-4  # -80 dB: a voice that quiet has ended


def mix(font: SoundFont, voices: list[Voice], total: int, sample_rate: int) -> np.ndarray:
    """Play every voice of ``font`` into a ``(total, 2)`` float32 buffer.

    A sound already made in this mix (the same zone, key, bend and length: a drum cycle, a repeated note) is reused.
    """
    out = np.zeros((total, 2), dtype=np.float32)
    made: dict[tuple, np.ndarray | None] = {}
    for voice in voices:
        if not 0 <= voice.start < total:
            continue
        held = max(1, min(voice.end, total) - voice.start)
        limit = total - voice.start
        for zone in font.zones(voice.bank, voice.program, voice.key, voice.velocity):
            key = (id(zone), voice.key, voice.bend, held)
            if key not in made:
                made[key] = font.wave(zone, voice.key, voice.bend, held, total, sample_rate)
            wave = made[key]
            if wave is None:
                continue
            wave = wave[:limit]
            left, right = font.gains(zone, voice.velocity)
            block = out[voice.start:voice.start + wave.size]
            block[:, 0] += wave * left
            block[:, 1] += wave * right
    return out


_CACHE: dict[tuple[str, int, int], SoundFont] = {}
_LOCK = threading.Lock()


def load(path: str | os.PathLike) -> SoundFont:
    """The parsed SoundFont at ``path``, read once per file version (its size and time stamp) and then shared."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        font = _CACHE.get(key)
        if font is None:
            font = SoundFont(path)
            _CACHE.clear()
            _CACHE[key] = font
        return font
