"""A synthetic press-office archive for the search benchmark: Spanish captions, events, people."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from types import SimpleNamespace

COLONIAS = [
    "Santa Cruz Meyehualco", "San Miguel Teotongo", "Desarrollo Urbano Quetzalcóatl",
    "Santa Martha Acatitla", "San Lorenzo Tezonco", "Cerro de la Estrella", "Ejército de Oriente",
    "Unidad Habitacional Vicente Guerrero", "Lomas de la Estancia", "Barrio San Pablo",
    "Barrio San Lucas", "Barrio San Ignacio", "Culhuacán", "Santa María Aztahuacán",
    "Paraje San Juan", "Reforma Política", "Xalpa", "Buenavista", "Juan Escutia",
    "Los Ángeles", "La Polvorilla", "Renovación", "Consejo Agrarista Mexicano", "El Manto",
    "San Juan Xalpa", "Leyes de Reforma", "Jardines de San Lorenzo", "Ampliación Peñón",
    "Peñón Viejo", "Chinampac de Juárez", "Granjas Esmeralda", "Progresista", "Guadalupe del Moral",
    "Tepalcates", "Santa Bárbara", "Zona Urbana Ejidal", "Presidentes de México", "Cananea",
]
ROOTS = [
    "inauguración", "mercado", "jornada", "vecinos", "alcaldesa", "obra", "pavimentación",
    "luminarias", "escuela", "niños", "niñas", "mujeres", "salud", "vacunación", "deporte",
    "parque", "agua", "pipa", "drenaje", "bacheo", "seguridad", "policía", "cultura", "festival",
    "concierto", "danza", "biblioteca", "utopía", "centro", "comunitario", "feria", "empleo",
    "reunión", "asamblea", "entrega", "apoyos", "becas", "adultos", "mayores", "tianguis",
    "limpieza", "árboles", "reforestación", "cancha", "fútbol", "básquetbol", "natación",
    "clínica", "médicos", "enfermería", "huerto", "composta", "reciclaje", "campaña", "difusión",
    "conferencia", "prensa", "boletín", "recorrido", "supervisión", "rehabilitación", "calle",
    "banqueta", "iluminación", "cámaras", "alarmas", "sendero", "seguro", "mujer", "violencia",
    "prevención", "taller", "capacitación", "emprendimiento", "comercio", "artesanías", "música",
    "teatro", "cine", "lectura", "ciencia", "tecnología", "internet", "gratuito", "programa",
    "social", "bienestar", "alimentos", "despensas", "comedor", "desayunos", "pasión", "semana",
    "santa", "representación", "procesión", "año", "señor", "peña", "compañía", "montaña",
]
SYLLABLES = ["ca", "pa", "la", "ma", "to", "re", "ni", "so", "ti", "vé", "rá", "ño", "lu", "mi",
             "co", "dé", "gu", "xo", "tla", "hua", "za", "que", "ció", "ría", "bo", "fe", "jé"]
FIRST = ["Ana", "José", "María", "Luis", "Sofía", "Jesús", "Carmen", "Íñigo", "Begoña", "Raúl",
         "Mónica", "Martín", "Lucía", "Andrés", "Verónica", "Héctor", "Inés", "Óscar", "Noemí",
         "Julián"]
LAST = ["López", "Peña", "Núñez", "Hernández", "García", "Martínez", "Pérez", "Sánchez", "Ramírez",
        "Cruz", "Gómez", "Muñoz", "Ibáñez", "Ortiz", "Jiménez", "Vázquez", "Díaz", "Castañeda",
        "Domínguez", "Rodríguez", "Ávila", "Yáñez", "Solís", "Zúñiga", "Acuña"]
AREAS = [
    "Dirección General de Obras", "Dirección General de Desarrollo Social",
    "Dirección de Comunicación Social", "Dirección General de Seguridad Ciudadana",
    "Dirección General de Servicios Urbanos", "Dirección General de Cultura",
    "Dirección General de Gobierno", "Dirección General de Administración",
    "Dirección General de Medio Ambiente", "Dirección General de Participación Ciudadana",
    "Dirección General de Planeación", "Dirección General de Jurídico",
    "Dirección Territorial Aculco", "Dirección Territorial Cabeza de Juárez",
    "Dirección Territorial Centro", "Dirección Territorial Ermita Zaragoza",
    "Dirección Territorial Estrella Huizachtepetl", "Dirección Territorial Paraje Zacatepec",
    "Dirección Territorial San Lorenzo Tezonco", "Dirección Territorial Santa Catarina",
]
EVENT_KINDS = ["Inauguración de", "Jornada de", "Entrega de", "Recorrido por", "Festival de",
               "Asamblea vecinal sobre", "Conferencia de prensa sobre", "Campaña de",
               "Rehabilitación de", "Feria de"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(ROOTS)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        words.append(word)
        if rng.random() < 0.3:
            words.append(word + "s")
    return words[:size]


def make_world(seed: int = 7, vocabulary: int = 5000) -> SimpleNamespace:
    rng = random.Random(seed)
    words = make_vocabulary(rng, vocabulary)
    people = [f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}" for _ in range(400)]
    photographers = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(50)]
    events = [
        f"{rng.choice(EVENT_KINDS)} {rng.choice(ROOTS)} en {rng.choice(COLONIAS)}"
        for _ in range(2000)
    ]
    weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(words))))  # Zipf-like
    return SimpleNamespace(words=words, weights=weights, people=people,
                           photographers=photographers, events=events, rng=rng)


def make_asset(world: SimpleNamespace, asset_id: int, rng: random.Random) -> SimpleNamespace:
    start = dt.datetime(2016, 1, 1)
    taken = start + dt.timedelta(minutes=rng.randrange(10 * 365 * 24 * 60))
    event = rng.choice(world.events)
    caption_words = rng.choices(world.words, cum_weights=world.weights, k=rng.randint(12, 30))
    who = rng.sample(world.people, rng.randint(0, 3))
    place = event.rsplit(" en ", 1)[1]
    caption = f"{event}. {' '.join(caption_words).capitalize()}. " + (
        f"Participan {', '.join(who)}." if who else ""
    )
    width, height = (6000, 4000) if rng.random() < 0.7 else (4000, 6000)
    return SimpleNamespace(
        id=asset_id, media_type=rng.choices(["photo", "video", "audio", "document"],
                                            [85, 8, 2, 5])[0],
        original_filename=f"IZT_{taken:%Y%m%d}_{asset_id:07}.JPG", state="ready",
        created_at=taken + dt.timedelta(days=rng.randint(0, 3)), taken_at=taken,
        width=width, height=height, orientation=1, camera_make="Canon",
        camera_model=rng.choice(["EOS R6", "EOS 5D Mark IV", "EOS R5", "EOS 90D"]),
        gps_latitude=19.35 if rng.random() < 0.4 else None, gps_longitude=-99.05,
        headline=event, caption=caption,
        keywords=rng.sample(world.words[:300], rng.randint(1, 5)),
        creator=rng.choice(world.photographers), credit="Alcaldía Iztapalapa",
        city="Iztapalapa", sublocation=place, event=event, area=rng.choice(AREAS),
        persons_shown=who, metadata_json={},
        workflow_state=rng.choices(["borrador", "revisado", "aprobado", "publicado"],
                                   [10, 20, 30, 40])[0],
        rights_restriction="embargado" if rng.random() < 0.02 else None, batch=None,
    )


def make_assets(count: int, seed: int = 7, start_id: int = 1):  # type: ignore[no-untyped-def]
    """Yield ``count`` synthetic assets (deterministic for a seed)."""
    world = make_world(seed)
    rng = random.Random(seed + 1)
    for i in range(count):
        yield make_asset(world, start_id + i, rng)


def make_queries(count: int, seed: int = 11) -> list[dict]:
    """A fixed mix: 1-3 words, half with filters, a third with facets, a fifth sorted by date."""
    world = make_world()
    rng = random.Random(seed)
    filters = ["tipo:foto", "fecha:2023-01-01..2023-06-30", "año:2021", "gps:si",
               "orientacion:vertical", "estado:publicado", "-estado:embargado", "tipo:video",
               "fecha:2019-03..2019-04", "area:obras"]
    queries = []
    for i in range(count):
        n = rng.choice([1, 1, 2, 2, 3])
        words = rng.choices(world.words[:3000], cum_weights=world.weights[:3000], k=n)
        if rng.random() < 0.15:
            words[0] = rng.choice(COLONIAS).split()[-1]
        text = " ".join(words)
        if i % 2 == 0:
            text += " " + rng.choice(filters)
        queries.append({
            "q": text,
            "facets": i % 3 == 0,
            "sort": "taken_desc" if i % 5 == 0 else "relevance",
        })
    return queries
