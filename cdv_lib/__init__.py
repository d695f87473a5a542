"""cdv-workbench: evaluation workbench of a French Contrat de Ville.

The library holds every computation; notebooks only call it and display.
"""

__version__ = "0.1.0"
