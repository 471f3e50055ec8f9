"""serve: an OpenAI-compatible HTTP API over the model ParrotChat has loaded.

A front end like cli/ and gui/: it takes an `Engine` (wrapped in a `SharedEngine`,
so the window can share the one it already uses) and never imports cli or gui.

Why Starlette rather than FastAPI: the API is six routes with hand-checked bodies.
What FastAPI adds (pydantic models, validation, a generated OpenAPI document)
would have to be bent here: its validation answers 422 in its own shape where
OpenAI's clients expect 400 in OpenAI's, naming the field in our words; fields
OpenAI defines that we cannot honour need their own refusals; and pydantic-core is
several megabytes more in the frozen build. Instead one set of JSON Schemas
(schema.py) drives both the checks (validate.py) and /openapi.json (openapi.py),
so the document and the behaviour cannot drift. Starlette gives the routing and
error handling; the generation endpoints are plain ASGI so that each owns its
request's whole life, disconnect included. uvicorn serves it (server.py), as it
serves vLLM's and llama-cpp-python's servers.

Modules:
  config.py        where to listen, who may connect; safe defaults and their checks
  guard.py         Host, Origin/CORS, API key and body-size checks around every request
  schema.py        the request bodies as JSON Schema (limits filled in per model)
  validate.py      checks a body against its schema, naming the field and the reason
  request_body.py  bytes -> checked body -> engine command (the field mapping lives here)
  queued.py        a request in a shared engine's queue, cancelled when its client leaves
  generation.py    one chat or completion through the chat model's queue, streamed or whole
  embedding_schema.py, embedding_body.py, embeddings.py
                   POST /v1/embeddings: its schema, its body -> EmbedRequest, its answer
                   (through the embedding model's own engine and queue)
  replies.py       OpenAI's response and chunk shapes
  errors.py        OpenAI's error shape
  openapi.py       /openapi.json
  served_model.py  the loaded models as clients see them: names, limits, engines
  app.py           the routes (the one Starlette importer)
  server.py        the socket and uvicorn (the one uvicorn importer)
"""
