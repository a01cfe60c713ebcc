"""imageio v3 plugin for ``.cool`` (Cool-chic) images.

``import coolchic_imageio`` (or ``import coolchic``) adds the plugin ``"cool"`` to
``imageio.config.known_plugins`` and puts it first for the ``.cool`` extension, so that
``imageio.v3.imread("x.cool")``, ``imageio.v3.imwrite("y.cool", a)``,
``imageio.imwrite(f, a, format="cool")`` and ``imageio.v3.imwrite("<bytes>", a,
extension=".cool")`` all work. See :class:`coolchic_imageio.plugin.CoolPlugin`.
"""

from __future__ import annotations

__all__ = ["register", "PLUGIN_NAME"]

PLUGIN_NAME = "cool"


def register() -> None:
    """(Re-)register the ``cool`` plugin and make it the first choice for ``.cool``."""
    from imageio.config import known_extensions, known_plugins
    from imageio.config.extensions import FileExtension
    from imageio.config.plugins import PluginConfig

    known_plugins[PLUGIN_NAME] = PluginConfig(
        name=PLUGIN_NAME, class_name="CoolPlugin", module_name="coolchic_imageio.plugin"
    )
    formats = known_extensions.setdefault(".cool", [])
    if not formats:
        formats.append(
            FileExtension(
                extension=".cool",
                priority=[PLUGIN_NAME],
                name="Cool-chic",
                description="Cool-chic 3.0 neural image codec (.cool container)",
            )
        )
    for file_format in formats:
        if PLUGIN_NAME in file_format.priority:
            file_format.priority.remove(PLUGIN_NAME)
        file_format.priority.insert(0, PLUGIN_NAME)


import coolchic  # noqa: E402,F401  (its import calls coolchic.register(), which calls register())
