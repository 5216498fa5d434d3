"""Indonesian text handling: normalisation, stemming and (later) classifiers.

Pure Python with no Django models, so it is tested without a database (STYLE rule 9).
"""
