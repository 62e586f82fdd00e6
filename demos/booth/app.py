"""The booth demo: a city, a tap, and a piece of music, a picture or a 3D object to take home.

Run ``python demos/booth/app.py`` and open http://127.0.0.1:7860. The page is built by
:func:`workshop_kit.booth.build_booth`; importing this file builds it without serving it.

Three studios, each offering the engines this machine can run: music (composition rules, the melody model; MusicGen
when its weights are here), with a piano roll, a spectrogram and an analysis of your own sound; images (generative
art, exact motifs, the motif diffusion model once trained; SD-Turbo with its safety checker when its weights are
here); 3D (pottery, lanterns, bas-reliefs, zellige tiles, a blend of two pots; Shap-E only where it is quick enough),
with a preview and whether the object prints. The "À propos" box lists the engines and the licences of the models.
"""

from workshop_kit.booth import build_booth, launch_options

demo = build_booth()

if __name__ == "__main__":
    demo.launch(**launch_options(server_name="127.0.0.1", server_port=7860))
