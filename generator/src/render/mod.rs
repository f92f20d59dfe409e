//! Everything that turns the model into files: charts, Markdown, Typst/PDF,
//! the site, the workbook. Renderers print; they never compute a figure.

pub mod capacity_sheet;
pub mod charts;
pub mod diagram;
pub mod documents;
pub mod figure_list;
pub mod figures;
pub mod heat_map;
pub mod layout_check;
pub mod markdown;
pub mod pdf;
pub mod site;
pub mod table_captions;
pub mod typst_markup;
pub mod workbook;
