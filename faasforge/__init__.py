"""faasforge: build serverless benchmark functions into container images for every cloud.

The plain core lives in this package and knows nothing of Prefect; `tasks/` and `flows/` wrap it.
"""

__version__ = "0.1.0"
