"""Words drawn into pictures: axes, legends, note names, track and drum names of the figures."""

from __future__ import annotations

FIGURES: dict[str, dict[str, str]] = {
    "figure.hz": {"fr": "Hz", "en": "Hz", "ar": "هرتز"},
    "figure.seconds": {"fr": "{t:g} s", "en": "{t:g} s", "ar": "{t:g} ث"},
    "figure.bar": {"fr": "mes.", "en": "bar", "ar": "المقياس"},
    "figure.spectrogram.legend": {"fr": "traits orange : attaques · lignes claires : temps (beats)",
                                  "en": "orange ticks: onsets · light lines: beats",
                                  "ar": "العلامات البرتقالية: بدايات الأصوات · الخطوط الفاتحة: النبضات"},
    "figure.quarter_tone": {"fr": "contour clair : quart de ton", "en": "light outline: quarter tone",
                            "ar": "الإطار الفاتح: ربع تون"},
    # the tracks of the rules engine's scores
    "figure.track.lead": {"fr": "mélodie", "en": "lead", "ar": "اللحن"},
    "figure.track.bass": {"fr": "basse", "en": "bass", "ar": "الباص"},
    "figure.track.percussion": {"fr": "percussions", "en": "percussion", "ar": "آلات الإيقاع"},
    "figure.track.melody": {"fr": "mélodie", "en": "melody", "ar": "اللحن"},
    # percussion strokes (workshop_kit.music.theory.DRUMS)
    "figure.drum.qraqeb": {"fr": "qraqeb", "en": "qraqeb", "ar": "قراقب"},
    "figure.drum.tbel": {"fr": "tbel", "en": "tbel", "ar": "طبل"},
    "figure.drum.handclap": {"fr": "claquement de mains", "en": "hand clap", "ar": "تصفيق"},
    "figure.drum.bendir": {"fr": "bendir", "en": "bendir", "ar": "بندير"},
    "figure.drum.bendir_tek": {"fr": "bendir tek", "en": "bendir tek", "ar": "بندير تك"},
    "figure.drum.darbuka_dum": {"fr": "darbouka dum", "en": "darbuka dum", "ar": "دربوكة دم"},
    "figure.drum.darbuka_tek": {"fr": "darbouka tek", "en": "darbuka tek", "ar": "دربوكة تك"},
    "figure.drum.darbuka_ka": {"fr": "darbouka ka", "en": "darbuka ka", "ar": "دربوكة كا"},
    "figure.drum.tar": {"fr": "tar", "en": "tar", "ar": "طار"},
    "figure.drum.kick": {"fr": "grosse caisse", "en": "kick", "ar": "الطبل الكبير"},
    "figure.drum.snare": {"fr": "caisse claire", "en": "snare", "ar": "الطبل الصغير"},
    "figure.drum.hihat": {"fr": "charleston", "en": "hi-hat", "ar": "الصنج"},
    "figure.drum.gm": {"fr": "GM {n}", "en": "GM {n}", "ar": "GM {n}"},
}
