// `express4` is an npm alias of express@4 (for testing both majors); it has no
// types of its own, and the v5 types describe everything these tests use.
declare module "express4" {
  import express from "express";
  export default express;
}
