"""What the kit reports in words: printability verdicts, audio summaries and the doctor's check."""

from __future__ import annotations

REPORTS: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------------------------------ listening (music.analysis)
    "music.note_names": {"fr": "do do# ré ré# mi fa fa# sol sol# la la# si",
                         "en": "C C# D D# E F F# G G# A A# B",
                         "ar": "دو دو# ري ري# مي فا فا# صول صول# لا لا# سي"},
    "music.key.major": {"fr": "{tonic} majeur", "en": "{tonic} major", "ar": "{tonic} ماجور"},
    "music.key.minor": {"fr": "{tonic} mineur", "en": "{tonic} minor", "ar": "{tonic} مينور"},
    "analysis.summary": {
        "fr": ("Tempo ≈ {tempo} BPM · tonalité estimée : {key} · niveau moyen {level:.1f} dBFS · "
               "{onsets} attaques en {duration:.1f} s"),
        "en": ("Tempo ≈ {tempo} BPM · estimated key: {key} · average level {level:.1f} dBFS · "
               "{onsets} onsets in {duration:.1f} s"),
        "ar": ("السرعة ≈ {tempo} نبضة في الدقيقة · المقام التقديري: {key} · المستوى المتوسط {level:.1f} dBFS · "
               "{onsets} بداية صوت في {duration:.1f} ث"),
    },
}
