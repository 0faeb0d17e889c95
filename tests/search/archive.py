"""A small realistic archive (300 assets, 30 events) and the judged queries run against it.

The judgements were written with the archive, before any tuning: each query names the events
whose assets a press officer would expect in the first ten results.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

# (key, event, place, area, date, photographer, people, caption templates)
EVENTS = [
    ("mercado", "Inauguración del mercado de Santa Cruz Meyehualco", "Santa Cruz Meyehualco",
     "Dirección General de Obras", "2025-03-14", "Ana Peña", ["Clara Brugada"],
     ["La alcaldesa inaugura el mercado remodelado", "Locatarios del mercado reciben sus llaves",
      "Vista de los pasillos del nuevo mercado"]),
    ("tianguis", "Tianguis del Bienestar en San Miguel Teotongo", "San Miguel Teotongo",
     "Dirección General de Desarrollo Social", "2024-11-09", "José Núñez", [],
     ["Vecinos compran productos en el tianguis", "Puestos de verduras del tianguis",
      "Familias recorren los puestos"]),
    ("vacunacion", "Jornada de vacunación contra la influenza", "Ejército de Oriente",
     "Dirección General de Desarrollo Social", "2023-10-20", "María López", ["Raúl Cruz"],
     ["Enfermeras vacunan a adultos mayores", "Una niña recibe la vacuna",
      "Filas para vacunarse en el módulo"]),
    ("pasion", "Representación de la Pasión de Cristo", "Barrio San Lucas",
     "Dirección General de Cultura", "2024-03-29", "Íñigo Yáñez", ["Jesús Martínez"],
     ["Actores representan la crucifixión en el Cerro de la Estrella",
      "Miles de fieles asisten a la Pasión", "Procesión por las calles del barrio"]),
    ("luminarias", "Instalación de luminarias LED en Sendero Seguro", "Lomas de la Estancia",
     "Dirección General de Servicios Urbanos", "2022-06-02", "Ana Peña", [],
     ["Trabajadores instalan luminarias en la avenida", "Nuevas lámparas iluminan el sendero",
      "Calle iluminada por la noche"]),
    ("bacheo", "Jornada de bacheo en Ermita Iztapalapa", "Ermita Iztapalapa",
     "Dirección General de Obras", "2021-08-17", "Héctor Ramírez", [],
     ["Cuadrillas rellenan baches en la avenida", "Maquinaria de pavimentación trabajando",
      "Bacheo nocturno en Ermita"]),
    ("utopia", "Apertura de la Utopía Meyehualco", "Santa Cruz Meyehualco",
     "Dirección General de Obras", "2020-09-15", "Lucía Gómez", ["Clara Brugada"],
     ["Alberca olímpica de la Utopía", "Niños juegan en la ludoteca de la Utopía",
      "Vista aérea del centro comunitario"]),
    ("feria_empleo", "Feria del Empleo Iztapalapa 2025", "Centro de Iztapalapa",
     "Dirección General de Desarrollo Económico", "2025-05-22", "Óscar Sánchez", [],
     ["Buscadores de empleo llenan solicitudes", "Empresas ofrecen vacantes",
      "Jóvenes en entrevistas de trabajo"]),
    ("reforestacion", "Reforestación en el Cerro de la Estrella", "Cerro de la Estrella",
     "Dirección General de Medio Ambiente", "2023-07-08", "Verónica Díaz", [],
     ["Voluntarios plantan árboles en el cerro", "Niñas siembran un árbol",
      "Brigadas riegan los árboles plantados"]),
    ("agua", "Reparto de agua en pipas", "San Lorenzo Tezonco",
     "Dirección General de Servicios Urbanos", "2024-04-03", "José Núñez", [],
     ["Pipas reparten agua potable a los vecinos", "Vecinas llenan tambos de agua",
      "Una pipa abastece la unidad habitacional"]),
    ("futbol", "Torneo de fútbol infantil", "Desarrollo Urbano Quetzalcóatl",
     "Dirección General de Deporte", "2022-11-12", "Martín Ortiz", [],
     ["Niños juegan la final del torneo de futbol", "Portero detiene un penal",
      "Equipo campeón levanta el trofeo"]),
    ("biblioteca", "Inauguración de la biblioteca comunitaria", "Barrio San Pablo",
     "Dirección General de Cultura", "2021-02-25", "Lucía Gómez", ["Clara Brugada"],
     ["Niñas leen libros en la biblioteca", "Estantes con libros donados",
      "Corte de listón de la biblioteca"]),
    ("mujeres", "Marcha por el Día Internacional de la Mujer", "Centro de Iztapalapa",
     "Dirección de Comunicación Social", "2024-03-08", "Begoña Muñoz", [],
     ["Mujeres marchan por la explanada", "Pancartas contra la violencia de género",
      "Colectivas feministas se manifiestan"]),
    ("simulacro", "Simulacro de sismo en escuelas", "Culhuacán",
     "Dirección General de Protección Civil", "2023-09-19", "Héctor Ramírez", [],
     ["Alumnos evacuan la escuela durante el simulacro", "Brigadistas de protección civil",
      "Maestras guían a los alumnos"]),
    ("drenaje", "Desazolve del drenaje antes de lluvias", "Santa Martha Acatitla",
     "Dirección General de Servicios Urbanos", "2025-04-28", "Martín Ortiz", [],
     ["Trabajadores desazolvan coladeras", "Camión hidroneumático limpia el drenaje",
      "Prevención de inundaciones en la colonia"]),
    ("conferencia", "Conferencia de prensa sobre seguridad", "Edificio Sede de la Alcaldía",
     "Dirección General de Seguridad Ciudadana", "2025-01-15", "Ana Peña", ["Raúl Cruz"],
     ["El director de seguridad presenta cifras", "Reporteros en la conferencia de prensa",
      "Mesa del presídium durante la conferencia"]),
    ("becas", "Entrega de becas a estudiantes", "Santa María Aztahuacán",
     "Dirección General de Desarrollo Social", "2022-08-30", "María López", ["Clara Brugada"],
     ["Estudiantes reciben sus tarjetas de becas", "Madres de familia en la entrega de apoyos",
      "Jóvenes becarios posan con sus tarjetas"]),
    ("concierto", "Concierto de la Orquesta Sinfónica en la explanada", "Centro de Iztapalapa",
     "Dirección General de Cultura", "2023-12-16", "Íñigo Yáñez", [],
     ["Músicos de la orquesta en el escenario", "El público disfruta el concierto",
      "Violinistas durante la función"]),
    ("adultos", "Comedor comunitario para adultos mayores", "Paraje San Juan",
     "Dirección General de Desarrollo Social", "2021-05-11", "Begoña Muñoz", [],
     ["Adultos mayores comen en el comedor", "Cocineras preparan la comida",
      "Abuelitos conviven en el comedor comunitario"]),
    ("pena", "Festival cultural en la Peña del barrio", "Barrio San Ignacio",
     "Dirección General de Cultura", "2024-08-24", "Raúl Domínguez", [],
     ["Músicos tocan son jarocho en la peña", "Bailarines en la peña cultural",
      "Niños aprenden a tocar jarana"]),
    ("penas", "Taller de manejo de penas y duelo", "Unidad Habitacional Vicente Guerrero",
     "Dirección General de Desarrollo Social", "2023-02-14", "Noemí Cruz", [],
     ["Psicólogas acompañan a familias en duelo", "Pena y duelo: taller de apoyo emocional",
      "Participantes escriben cartas"]),
    ("veda", "Retiro de propaganda por veda electoral", "Iztapalapa",
     "Dirección de Comunicación Social", "2024-04-01", "Andrés Castañeda", [],
     ["Cuadrillas retiran lonas por la veda electoral", "Bardas blanqueadas",
      "Se cubren anuncios de programas sociales"]),
    ("clinica", "Jornada médica gratuita en la clínica", "Buenavista",
     "Dirección General de Desarrollo Social", "2025-03-21", "María López", [],
     ["Médicos atienden consultas gratuitas", "Revisión dental a niños",
      "Vecinos esperan consulta en la clínica"]),
    ("cancha", "Rehabilitación de canchas de básquetbol", "Xalpa",
     "Dirección General de Obras", "2020-01-29", "Héctor Ramírez", [],
     ["Nueva cancha de basquetbol pintada", "Jóvenes estrenan la cancha",
      "Tableros nuevos en el deportivo"]),
    ("reciclaje", "Mercado de trueque y reciclaje", "Granjas Esmeralda",
     "Dirección General de Medio Ambiente", "2022-03-06", "Verónica Díaz", [],
     ["Vecinos intercambian residuos reciclables por productos",
      "Separación de botellas de plástico", "Canje de cartón y vidrio"]),
    ("policia", "Graduación de policías de proximidad", "Edificio Sede de la Alcaldía",
     "Dirección General de Seguridad Ciudadana", "2021-11-26", "Andrés Castañeda", [],
     ["Nuevos policías rinden protesta", "Cadetes desfilan en la ceremonia",
      "Entrega de patrullas a la policía"]),
    ("huerto", "Huertos urbanos en azoteas", "Los Ángeles",
     "Dirección General de Medio Ambiente", "2024-06-18", "Noemí Cruz", [],
     ["Vecinas cosechan jitomates en la azotea", "Composta para los huertos",
      "Taller de siembra de hortalizas"]),
    ("danza", "Festival de danza folclórica", "Culhuacán",
     "Dirección General de Cultura", "2025-02-08", "Begoña Muñoz", [],
     ["Bailarinas con vestidos de Jalisco", "Ballet folclórico en el foro",
      "Danzantes zapatean en el escenario"]),
    ("boletin", "Boletín de obras públicas 2024", "Iztapalapa",
     "Dirección de Comunicación Social", "2024-12-10", "Equipo de Comunicación Social", [],
     ["Folleto con las obras del año", "Gaceta de obras públicas",
      "Revista de rendición de cuentas"]),
    ("inundacion", "Atención a inundaciones por lluvias", "Santa Martha Acatitla",
     "Dirección General de Protección Civil", "2021-09-07", "Martín Ortiz", [],
     ["Calles inundadas tras la tormenta", "Brigadas sacan agua de las casas",
      "Bomberos rescatan a vecinos"]),
]

KEYWORDS = {"pena": "peña", "vacunacion": "vacunación", "pasion": "pasión", "utopia": "utopía",
            "futbol": "fútbol", "policia": "policía", "inundacion": "inundación",
            "reforestacion": "reforestación", "clinica": "clínica", "boletin": "boletín",
            "feria_empleo": "empleo"}
PER_EVENT = 10
IDS = {key: list(range(i * PER_EVENT + 1, (i + 1) * PER_EVENT + 1))
       for i, (key, *_rest) in enumerate(EVENTS)}


def make_archive() -> list[SimpleNamespace]:
    """300 assets: ten per event, captions varied, some vertical, some with GPS, some videos."""
    assets = []
    for i, (key, event, place, area, day, who, people, captions) in enumerate(EVENTS):
        date = dt.date.fromisoformat(day)
        for j in range(PER_EVENT):
            aid = i * PER_EVENT + j + 1
            media = "document" if key == "boletin" else ("video" if j == 9 else "photo")
            assets.append(SimpleNamespace(
                id=aid, media_type=media, state="ready",
                original_filename=f"DSC_{aid:04}.{'PDF' if media == 'document' else 'JPG'}",
                created_at=dt.datetime(date.year, date.month, date.day, 20, tzinfo=dt.UTC),
                taken_at=dt.datetime(date.year, date.month, date.day, 9 + j % 8, 5 * j),
                width=4000 if j % 4 else 3000, height=3000 if j % 4 else 4000, orientation=1,
                camera_make="Nikon", camera_model="D750", gps_latitude=19.35 if j < 3 else None,
                gps_longitude=-99.06 if j < 3 else None, headline=event if j == 0 else None,
                caption=f"{captions[j % len(captions)]}. {place}, Iztapalapa.",
                keywords=[KEYWORDS.get(key, key)], creator=who,
                credit=f"Foto: {who} / Alcaldía Iztapalapa",
                city="Iztapalapa", sublocation=place, event=event, area=area,
                persons_shown=people if j % 2 == 0 else [],
                metadata_json={"text": captions[0] + ". " + event} if media == "document" else {},
                workflow_state="published" if j < 6 else "draft",
                embargo_until=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
                if (key == "conferencia" and j == 1) else None,
                batch=None,
            ))
    return assets


def ev(*keys: str) -> set[int]:
    return {a for k in keys for a in IDS[k]}


# query → the assets that must be in its first ten results (precision counts these as relevant)
JUDGED: list[tuple[str, set[int]]] = [
    ("inauguración del mercado", ev("mercado")),
    ("inauguracion mercado", ev("mercado")),
    ("mercados", ev("mercado")),
    ("Santa Cruz Meyehualco", ev("mercado", "utopia")),
    ("meyehualco mercado marzo 2025", ev("mercado")),
    ("tianguis", ev("tianguis")),
    ("vacuna", ev("vacunacion")),
    ("vacunación influenza", ev("vacunacion")),
    ("vacunar adultos mayores", ev("vacunacion")),
    ("pasión de cristo", ev("pasion")),
    ("pasion", ev("pasion")),
    ("luminaria", ev("luminarias")),
    ("lámparas sendero seguro", ev("luminarias")),
    ("baches", ev("bacheo")),
    ("utopia alberca", ev("utopia")),
    ("feria del empleo", ev("feria_empleo")),
    ("árboles", ev("reforestacion")),
    ("plantar arboles cerro", ev("reforestacion")),
    ("pipas de agua", ev("agua")),
    ("futbol", ev("futbol")),
    ("fútbol infantil", ev("futbol")),
    ("biblioteca", ev("biblioteca")),
    ("niñas libros", ev("biblioteca")),
    ("día de la mujer", ev("mujeres")),
    ("simulacro sismo", ev("simulacro")),
    ("drenaje", ev("drenaje")),
    ("conferencia de prensa", ev("conferencia")),
    ("becas estudiantes", ev("becas")),
    ("orquesta sinfonica", ev("concierto")),
    ("comedor abuelitos", ev("adultos")),
    ("peña", ev("pena")),
    ("pena", ev("penas")),
    ("veda electoral", ev("veda")),
    ("médicos consultas", ev("clinica")),
    ("basquetbol", ev("cancha")),
    ("reciclaje", ev("reciclaje")),
    ("policías", ev("policia")),
    ("huertos", ev("huerto")),
    ("danza folklorica", ev("danza")),
    ("inundación lluvias", ev("inundacion")),
    # names, places, people
    ("fotografo:peña", ev("mercado", "luminarias", "conferencia")),
    ("fotografo:nuñez tianguis", ev("tianguis")),
    ('persona:"clara brugada" utopia', ev("utopia")),
    ("lugar:culhuacan", ev("simulacro", "danza")),
    ("lugar:aztahua", ev("becas")),
    ("evento:inauguracion biblioteca", ev("biblioteca")),
    # typos
    ("vacunasion", ev("vacunacion")),
    ("biblioteka", ev("biblioteca")),
    ("reforestasion", ev("reforestacion")),
    # dates and filters
    ("fecha:2025-03-14", ev("mercado")),
    ("fecha:2024-03-01..2024-03-31", ev("pasion", "mujeres")),
    ("año:2020 obras", ev("utopia", "cancha")),
    ("tipo:pdf obras", ev("boletin")),
    ("area:cultura danza", ev("danza")),
    ("mercado -estado:borrador", set(IDS["mercado"][:6])),
]


def with_caption(text: str) -> set[int]:
    """The assets whose caption has ``text`` (accents and case as written)."""
    return {a.id for a in make_archive() if text in a.caption}


# The groups the synonym vocabulary starts with (migration 0014), as the judged queries use them.
SYNONYM_GROUPS = ["sismo = temblor", "cubrebocas = tapabocas = mascarilla", "alcaldesa = titular",
                  "DGPC = Dirección General de Protección Civil"]

# Judged after issue 15: plurals in -io/-ios and -ción/-ciones, synonyms, dates in words.
JUDGED_KINDS: list[tuple[str, set[int]]] = [
    ("barrios", ev("pasion", "biblioteca", "pena")),
    ("locatario", with_caption("Locatarios")),
    ("voluntario árboles", with_caption("Voluntarios")),
    ("becario", with_caption("becarios")),
    ("anuncio", with_caption("anuncios")),
    ("escenarios", with_caption("escenario")),
    ("inundacion", ev("inundacion") | with_caption("inundaciones")),
    ("instalaciones luminarias", ev("luminarias")),
    ("graduaciones policías", ev("policia")),
    ("rehabilitaciones canchas", ev("cancha")),
    ("inauguraciones", ev("mercado", "biblioteca")),
    ("representaciones pasión", ev("pasion")),
    ("temblor", ev("simulacro")),
    ("titular inaugura mercado", with_caption("La alcaldesa inaugura")),
    ("DGPC simulacro", ev("simulacro")),
    ("pasión marzo 2024", ev("pasion")),
    ("marcha 8 de marzo de 2024", ev("mujeres")),
    ("tianguis noviembre 2024", ev("tianguis")),
    ("utopía 2020", ev("utopia")),
    ("septiembre 2023 simulacro", ev("simulacro")),
    ("inundaciones septiembre de 2021", ev("inundacion")),
]

# Queries no asset answers: the main results must be empty (partial matches go apart).
NO_ANSWER = ["ballenas", "ballenas mercado", "mercado marzo 2019", "tianguis 2025",
             "concierto submarino", "temblor 2020", "becarios inundaciones"]
