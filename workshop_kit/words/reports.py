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
    # ------------------------------------------------------------------------------------ 3D printing (mesh.printability)
    "printability.ready": {"fr": "prêt à imprimer", "en": "ready to print", "ar": "جاهز للطباعة"},
    "printability.to_fix": {"fr": "à corriger : {issues}", "en": "to fix: {issues}", "ar": "يحتاج إلى تصحيح: {issues}"},
    "printability.notes": {"fr": " — à noter : {notes}", "en": " — note: {notes}", "ar": " — ملاحظة: {notes}"},
    "printability.empty": {"fr": "maillage vide (aucune face)", "en": "empty mesh (no faces)",
                           "ar": "مجسم فارغ (بلا أوجه)"},
    "printability.not_watertight": {"fr": "maillage ouvert, pas étanche ({holes}) : bouchez les trous",
                                    "en": "open mesh, not watertight ({holes}): close the holes",
                                    "ar": "المجسم مفتوح وغير محكم ({holes}): أغلق الثقوب"},
    "printability.boundary_edges": {"fr": "{n} arête(s) de bord", "en": "{n} boundary edge(s)",
                                    "ar": "{n} من الحواف المكشوفة"},
    "printability.nonmanifold_edges": {"fr": "{n} arête(s) non manifold", "en": "{n} non-manifold edge(s)",
                                       "ar": "{n} من الحواف المشتركة بين أكثر من وجهين"},
    "printability.inconsistent_winding": {"fr": "orientation des faces incohérente : réorientez-les",
                                          "en": "inconsistent face winding: make the faces agree",
                                          "ar": "اتجاه الأوجه غير متسق: وحّد اتجاهها"},
    "printability.inverted_normals": {"fr": "normales inversées (volume négatif) : retournez les faces",
                                      "en": "normals point inwards (negative volume): flip the faces",
                                      "ar": "الأوجه متجهة إلى الداخل (حجم سالب): اقلبها"},
    "printability.no_volume": {"fr": "objet sans volume", "en": "object has no volume", "ar": "القطعة بلا حجم"},
    "printability.thin_wall": {"fr": "paroi trop fine ({wall} mm < {min} mm) : épaississez-la",
                               "en": "wall too thin ({wall} mm < {min} mm): make it thicker",
                               "ar": "الجدار رقيق جدًا ({wall} مم، والحد الأدنى {min} مم): اجعله أسمك"},
    "printability.several_bodies": {"fr": "{n} pièces séparées, à placer chacune à plat sur le plateau",
                                    "en": "{n} separate parts, each to lay flat on the bed",
                                    "ar": "أجزاء منفصلة ({n})، يوضع كل منها مسطحًا على لوح الطابعة"},
    "printability.larger_than_bed": {"fr": "plus grand que le plateau ({size} mm > {bed} mm) : réduisez l'échelle",
                                     "en": "larger than the bed ({size} mm > {bed} mm): scale it down",
                                     "ar": "أكبر من لوح الطابعة ({size} مم، واللوح {bed} مم): صغّر حجمه"},
}
