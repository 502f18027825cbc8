"""930.cold (bench only): a function over a few mid-sized dependencies, copied into 8 variants
whose requirements.txt differ by a nonce line, so each dependency layer is built cold."""

import jinja2
import yaml


def handler(event):
    template = jinja2.Template("{{ name }}: {{ items | length }}")
    return {"text": template.render(name=event.get("name", "x"), items=yaml.safe_load("[1, 2, 3]"))}
