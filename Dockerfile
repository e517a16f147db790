# The pages' browser libraries (web/assets/package.json), from the npm registry.
FROM node:22-slim AS assets
WORKDIR /assets
COPY web/assets/package.json web/assets/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# gettext compiles the translations (locale/) at build time.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY config ./config
COPY core ./core
COPY events ./events
COPY placements ./placements
COPY coordination ./coordination
COPY notifications ./notifications
COPY workers ./workers
COPY web ./web
COPY locale ./locale
COPY --from=assets /assets/node_modules ./web/assets/node_modules
COPY manage.py ./
RUN pip install --no-cache-dir -c constraints.txt -e . \
    && python manage.py compilemessages --ignore=web/assets -v0 \
    && LEERPLEK_ENV=production SECRET_KEY=collectstatic DATABASE_URL=sqlite:////tmp/x.db \
       REDIS_URL=redis://localhost ALLOWED_HOSTS=x python manage.py collectstatic --noinput
RUN useradd --system leerplek && mkdir -p /app/var && chown leerplek /app/var
USER leerplek
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--ws-per-message-deflate", "false"]
