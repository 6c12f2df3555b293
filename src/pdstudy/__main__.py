from pdstudy.cli import app

app()
