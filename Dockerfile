FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps -e . && python scripts/compilemessages.py \
    && DEBUG=1 python manage.py collectstatic --noinput
EXPOSE 8000
# --no-proxy-headers: NUM_PROXIES alone decides which address a request came from (core/ratelimits.py);
# uvicorn would otherwise trust X-Forwarded-For from loopback itself. Logs: config/settings.py LOGGING
# redacts tokens and tickets from every line, uvicorn's access log included (docs/security.d/sessions.md).
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", "--no-proxy-headers"]
