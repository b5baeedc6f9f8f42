"""omstilling_analysis: KL's workbench for the self-evaluation of digital transformation.

The data's journey has one module per stage:

- :mod:`omstilling_analysis.reference` - the instrument (codebook, themes) and the 98 municipalities
- :mod:`omstilling_analysis.load` - reading raw exports (SurveyXact xlsx/CSV, own sheets, outcomes)
- :mod:`omstilling_analysis.clean` - labels, items, municipalities, duplicates, left-out rows
- :mod:`omstilling_analysis.score` - theme scores, maturity index and levels, benchmarks
- :mod:`omstilling_analysis.reliability` - Cronbach's alpha, McDonald's omega, item statistics
- :mod:`omstilling_analysis.clusters` - types of municipality
- :mod:`omstilling_analysis.effects` - themes and implementation results
- :mod:`omstilling_analysis.report` - the Excel summary and figures
- :mod:`omstilling_analysis.pipeline` - the whole run, as the CLI and the notebooks call it
"""

__version__ = "0.1.0"
