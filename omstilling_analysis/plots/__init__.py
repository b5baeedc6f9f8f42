"""Every figure of the workbench, one module per family; :data:`FIGURES` maps each figure's file
stem to the function that draws it, so any figure's source is one hop from its file name.
"""
