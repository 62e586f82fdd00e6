"""The booth demo: tap a city, get its music, picture and 3D object, take them home on your phone.

Run ``python demos/booth/app.py`` and open http://127.0.0.1:7860 (add ``--lan`` to ``workshop-kit booth`` to let
phones on the booth's network open the QR codes). The pages are built by :func:`workshop_kit.booth.build_booth`;
importing this file builds them without serving them.

The visitor page (``/``): big city tiles in French, Arabic and English; one tap makes the city's trio with the
embedded engines, shown together (a player, a picture, a turning 3D view) with a QR code to a download page of its
own. The trainer's studio (``/studio``): the three studios with every option, the analysis of your own sound, and the
"À propos" box with the engines and the licences of the models.
"""

from workshop_kit.booth import build_booth, serve_booth

demo = build_booth()

if __name__ == "__main__":
    serve_booth(host="127.0.0.1", port=7860)
