"""The built-in business agents: ``extractor``, ``processor`` and ``insights``.

They are ordinary agents built on :mod:`actorflow.actors`, kept apart from the actor
machinery: ``extraction`` reads sources into records, ``processing`` applies the
``rules`` (cleaning, normalisation, calculations, filters), ``insights`` summarises.
"""
