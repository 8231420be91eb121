"""The graph compiler: schema, parameters, node registry, validation and shape inference, code generation, and
what the canvas needs from them (canvas, partial graphs, model summary, templates, forms). Pure: no Paddle,
Streamlit, Redis or RQ."""
