"""What the tests share that is not a test: pytest plugins of real servers (moto, memcached, PostgreSQL), a
running gunicorn, and profiles made from known performance curves."""
