"""The booth demo: a city, a tap, and a piece of music, a picture or a 3D object to take home.

Run ``python demos/booth/app.py`` and open http://127.0.0.1:7860. The page is built by
:func:`workshop_kit.booth.build_booth`; importing this file builds it without serving it.
"""

from workshop_kit.booth import build_booth, launch_options

demo = build_booth()

if __name__ == "__main__":
    demo.launch(**launch_options(server_name="127.0.0.1", server_port=7860))
