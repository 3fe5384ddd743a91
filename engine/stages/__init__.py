"""Pipeline stages, one module each; every stage can be switched off in PipelineConfig."""
