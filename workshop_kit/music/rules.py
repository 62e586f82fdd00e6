"""The embedded music engine ``rules``: a rule-based composer over Moroccan rhythm cycles and maqam scales.

``generate(scale="hijaz", rhythm="gnawa", bars=16, seed=7)`` composes a melody, a bass line and the percussion cycle
(:func:`workshop_kit.music.arrange.compose`, which says how), renders them with the General MIDI SoundFont and
returns an :class:`~workshop_kit.results.AudioResult`. Only ``numpy.random.default_rng(seed)`` is used, so the same
seed gives the same audio, sample for sample.
"""

from __future__ import annotations

import time

import numpy as np

from ..device import no_torch_device
from ..registry import ENGINES
from ..results import AudioResult
from ..validation import resolve_seed
from .arrange import check_piece, compose, render_piece
from .render import SAMPLE_RATE
from .theory import RHYTHMS, SCALES, TONICS

__all__ = ["generate", "compose", "OPTIONS"]

ENGINE = ENGINES["rules"]
#: The options of :func:`generate` and what each accepts, for forms, the booth and ``--help``.
OPTIONS = {
    "scale": tuple(SCALES),
    "rhythm": tuple(RHYTHMS),
    "bars": (1, 64),
    "tempo": (40, 240),
    "tonic": tuple(TONICS),
}


# --------------------------------------------------------------------------------------------------- engine
def generate(*, scale: str = "hijaz", rhythm: str = "gnawa", bars: int = 16, tempo: float | None = None,
             tonic: str = "D", seed: int | None = None, device: str | None = "auto") -> AudioResult:
    """Compose and render a piece over a Moroccan rhythm cycle and a maqam scale.

    Parameters
    ----------
    scale : str, optional
        One of :data:`~workshop_kit.music.theory.SCALES`: major, minor, pentatonic, hijaz, nahawand, kurd,
        bayati, rast, sikah. Bayati, rast and sikah hold quarter tones.
    rhythm : str, optional
        One of :data:`~workshop_kit.music.theory.RHYTHMS`: gnawa, chaabi, ahidous.
    bars : int, optional
        Number of rhythm cycles, 1 to 64.
    tempo : float or None, optional
        Beats per minute, 40 to 240; ``None`` uses the rhythm's own tempo.
    tonic : str, optional
        Note name of the tonic: C, C#, Db, D ... B.
    seed : int or None, optional
        0 to 2**32 - 1; ``None`` draws one, returned in ``result.seed``. The same seed gives the same audio.
    device : str or None, optional
        Checked like every engine's (asking for a missing GPU is an error); this engine always runs on the CPU.

    Returns
    -------
    AudioResult
        ``audio`` is ``(samples, 2)`` float32 at 44100 Hz, ``score`` the notes it was rendered from.

    Raises
    ------
    ParameterError
        For any value outside the ones listed above, naming it and what is allowed.
    EngineUnavailableError
        When tinysoundfont or the SoundFont is missing.
    """
    ENGINE.check(locals())
    began = time.perf_counter()
    piece = check_piece(scale=scale, rhythm=rhythm, bars=bars, tempo=tempo, tonic=tonic)
    seed = resolve_seed(seed)
    device = no_torch_device(device)
    score = compose(scale=SCALES[piece["scale"]], rhythm=RHYTHMS[piece["rhythm"]], bars=piece["bars"],
                    tempo=float(piece["tempo"]), tonic=TONICS[piece["tonic"]], rng=np.random.default_rng(seed))
    return AudioResult(engine="rules", seed=seed, params=piece, device=device, seconds=time.perf_counter() - began,
                       audio=render_piece(score, piece), sample_rate=SAMPLE_RATE, score=score)
