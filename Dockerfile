# One image for every shopgraph process; compose.yaml picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY shopgraph ./shopgraph
COPY subgraphs ./subgraphs
COPY router ./router
COPY graphql_budget ./graphql_budget
COPY schema ./schema
# /keys exists in the image so a fresh named volume mounted there belongs to shopgraph.
RUN pip install --no-cache-dir -c constraints.txt . \
    && useradd --create-home shopgraph \
    && mkdir /keys && chown shopgraph /keys
USER shopgraph
ENTRYPOINT ["shopgraph"]
